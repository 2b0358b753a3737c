package server_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// TestAccessCheckFastPathAgrees sends one batch over HTTP twice: as clients encode it (the
// reflection-free fast path decodes it) and with every action escaped as \u0073… (only the
// strict decoder takes escapes). The answers must be the same bytes, and decode to the same
// decisions, reasons and errors as expected; a strict refusal stays a 400 on both paths.
func TestAccessCheckFastPathAgrees(t *testing.T) {
	t.Parallel()
	h := start(t)
	a := h.stack("p", "a", nil)
	h.stack("p", "b", nil)
	e := h.env("p", "e")
	tokID, _ := h.scopedToken("pinned", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{a.ID}}})
	req := apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Action: "stack:delete", Entity: apitype.EntityRef{Kind: "stack", Project: "p", Name: "b"}},
		{Principal: tokID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: a.ID}},
		{Principal: tokID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", Project: "p", Name: "b"}},
		{Principal: tokID, Action: "environment:open", Entity: apitype.EntityRef{Kind: "environment", ID: e.ID}},
		{Principal: tokID, Action: "stack:delet", Entity: apitype.EntityRef{Kind: "stack", Project: "p", Name: "a"}},
		{Principal: tokID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", Project: "p", Name: "missing <&>"}},
		{Principal: "no-such-token", Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: a.ID}},
	}}
	fast, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	strict := bytes.ReplaceAll(fast, []byte(`"action":"s`), []byte(`"action":"\u0073`))
	strict = bytes.ReplaceAll(strict, []byte(`"action":"e`), []byte(`"action":"\u0065`))
	if bytes.Equal(fast, strict) {
		t.Fatal("the strict body is not escaped")
	}
	r1 := h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), fast)
	r2 := h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), strict)
	if !bytes.Equal(r1.body, r2.body) {
		t.Fatalf("fast path answered\n%s\nstrict path answered\n%s", r1.body, r2.body)
	}
	var out apitype.AccessCheckResponse
	r1.decode(t, &out)
	want := []struct {
		allowed  bool
		errorHas string
	}{{true, ""}, {true, ""}, {false, ""}, {false, ""}, {false, `did you mean "stack:delete"`}, {false, "not found"}, {false, "no-such-token"}}
	if len(out.Results) != len(want) {
		t.Fatalf("%d results for %d checks", len(out.Results), len(want))
	}
	for i, w := range want {
		res := out.Results[i]
		if res.Allowed != w.allowed || !strings.Contains(res.Error, w.errorHas) || w.errorHas == "" && res.Error != "" {
			t.Errorf("check %d: allowed %v, error %q; want allowed %v, error with %q", i, res.Allowed, res.Error, w.allowed, w.errorHas)
		}
		if res.Error == "" && len(res.Reasons) == 0 {
			t.Errorf("check %d: no reasons", i)
		}
	}
	if !bytes.HasSuffix(r1.body, []byte("]}\n")) || r1.header.Get("Content-Type") != "application/json" {
		t.Errorf("answer framing: Content-Type %q, ends %q", r1.header.Get("Content-Type"), r1.body[max(0, len(r1.body)-8):])
	}
	// Sent whole with its length, not chunked.
	if cl := r1.header.Get("Content-Length"); cl != strconv.Itoa(len(r1.body)) {
		t.Errorf("Content-Length %q for an answer of %d bytes", cl, len(r1.body))
	}
	// What the strict decoder refuses is refused whichever path saw it first.
	for _, body := range []string{
		`{"checks":[{"Action":"stack:read"}]}`,
		`{"checks":[{"action":"stack:read","action":"org:read"}]}`,
		`{"checks":[{"action":null}]}`,
		`{"checks":[{"action":"stack:read","entity":{"kind":"stack","nam":"x"}}]}`,
	} {
		h.must(400, "POST", "/api/orgs/acme/access/check", h.admin(), body)
	}
}
