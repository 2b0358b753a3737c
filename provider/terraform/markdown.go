package terraform

import "reflect"

// markdownDescriptions gives every description of a schema (the provider's, a resource's or a
// data source's: the schema itself, its attributes, nested attributes and blocks) a
// MarkdownDescription equal to its Description where it has none, since the descriptions are
// written in Markdown (`code`). Terraform then reports them with description_kind "markdown",
// which editors and the registry docs render.
func markdownDescriptions[S any](s S) S {
	fillMarkdown(reflect.ValueOf(&s).Elem())
	return s
}

// fillMarkdown walks an addressable struct: its Description, and the Attributes and Blocks
// maps of it and of its exported struct fields (NestedObject).
func fillMarkdown(v reflect.Value) {
	if v.Kind() != reflect.Struct {
		return
	}
	d, md := v.FieldByName("Description"), v.FieldByName("MarkdownDescription")
	if d.IsValid() && md.IsValid() && d.Kind() == reflect.String && md.Kind() == reflect.String && md.String() == "" {
		md.SetString(d.String())
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.Struct:
			fillMarkdown(fv)
		case fv.Kind() == reflect.Map && (f.Name == "Attributes" || f.Name == "Blocks") && !fv.IsNil():
			// The map holds interface values (schema.Attribute, schema.Block) of struct
			// types: fill a copy of each and put it back.
			for _, k := range fv.MapKeys() {
				e := fv.MapIndex(k)
				if e.Kind() == reflect.Interface {
					e = e.Elem()
				}
				if e.Kind() != reflect.Struct {
					continue
				}
				c := reflect.New(e.Type()).Elem()
				c.Set(e)
				fillMarkdown(c)
				fv.SetMapIndex(k, c)
			}
		}
	}
}
