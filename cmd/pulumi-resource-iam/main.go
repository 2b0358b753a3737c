// Command pulumi-resource-iam is the Pulumi provider plugin of the iam package. The Pulumi
// engine starts it; it prints its port on stdout for the handshake and nothing else.
//
//	pulumi-resource-iam --version   (or `version`) prints the version and commit and exits.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/iamref/iam/internal/version"
	iampulumi "github.com/iamref/iam/provider/pulumi"
)

func main() {
	if len(os.Args) == 2 {
		switch os.Args[1] {
		case "--version", "-version", "version": // the engine passes its address, never these
			fmt.Println(version.String("pulumi-resource-iam"))
			return
		}
	}
	prov, err := iampulumi.Provider()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-iam: %v\n", err)
		os.Exit(1)
	}
	if err := prov.Run(context.Background(), iampulumi.Name, version.Version); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-iam: %v\n", err)
		os.Exit(1)
	}
}
