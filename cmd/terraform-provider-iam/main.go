// Command terraform-provider-iam is the Terraform provider plugin of iamref (source iamref/iam).
// Terraform starts it and reads the handshake from its stdout, so nothing else is ever written
// there; with -debug it runs standalone and prints TF_REATTACH_PROVIDERS for a debugger session.
// --version (or `version`) prints the version and commit and exits; Terraform never passes it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/iamref/iam/internal/version"
	iamtf "github.com/iamref/iam/provider/terraform"
)

func main() {
	var debug, showVersion bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.BoolVar(&showVersion, "version", false, "print the version and commit and exit")
	flag.Parse()
	if showVersion || (flag.NArg() == 1 && flag.Arg(0) == "version") {
		fmt.Println(version.String("terraform-provider-iam"))
		return
	}

	log.SetOutput(os.Stderr)
	err := providerserver.Serve(context.Background(), iamtf.New(version.Version), providerserver.ServeOpts{
		Address: iamtf.Address,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
