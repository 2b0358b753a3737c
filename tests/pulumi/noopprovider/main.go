// Command noopprovider is a Pulumi provider plugin whose one resource, noop:index:Thing, does
// nothing: Create echoes its inputs, Delete forgets. TestScale runs the same 300-resource graph
// against it as against the iam provider, to measure the floor of the Pulumi engine and the
// plugin protocol (what share of `pulumi up` is the iam provider and the server).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-go-provider/infer"
)

// Thing is the no-op resource.
type Thing struct{}

// ThingArgs are a Thing's inputs: a name and strings that may reference other Things.
type ThingArgs struct {
	Name   string   `pulumi:"name"`
	Scopes []string `pulumi:"scopes,optional"`
	Refs   []string `pulumi:"refs,optional"`
}

// ThingState is a Thing's outputs: its inputs and an ID other Things can reference.
type ThingState struct {
	ThingArgs
	ThingID string `pulumi:"thingId"`
}

// Annotate names the resource noop:index:Thing.
func (t *Thing) Annotate(a infer.Annotator) { a.SetToken("index", "Thing") }

// Create echoes the inputs.
func (*Thing) Create(_ context.Context, req infer.CreateRequest[ThingArgs]) (infer.CreateResponse[ThingState], error) {
	return infer.CreateResponse[ThingState]{ID: "thing-" + req.Inputs.Name, Output: ThingState{ThingArgs: req.Inputs, ThingID: "thing-" + req.Inputs.Name}}, nil
}

// Delete forgets.
func (*Thing) Delete(context.Context, infer.DeleteRequest[ThingState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, nil
}

func main() {
	prov, err := infer.NewProviderBuilder().WithResources(infer.Resource(&Thing{})).Build()
	if err == nil {
		err = prov.Run(context.Background(), "noop", "0.0.1")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-noop: %v\n", err)
		os.Exit(1)
	}
}
