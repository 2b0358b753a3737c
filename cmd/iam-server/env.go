package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envName is the environment variable of a flag: IAM_ + the name in upper snake case.
func envName(flag string) string {
	return "IAM_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// noEnv are cobra's own flags, which the environment does not set.
func noEnv(f *pflag.Flag) bool { return f.Name == "help" || f.Name == "version" }

// documentEnv adds to the help of every flag of cmd and its subcommands the environment
// variable that sets it, and says the default of those whose default pflag leaves unsaid (an
// empty string, false, 0).
func documentEnv(cmd *cobra.Command) {
	cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if noEnv(f) {
			return
		}
		f.Usage += " (env " + envName(f.Name) + ")"
		if !strings.Contains(f.Usage, "(default") && defaultUnsaid(f) {
			f.Usage += " (default none)"
		}
	})
	for _, c := range cmd.Commands() {
		documentEnv(c)
	}
}

// applyEnv sets each flag of cmd that the command line left unset from its environment
// variable, when that is set and not empty.
func applyEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || noEnv(f) {
			return
		}
		name := envName(f.Name)
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return
		}
		if serr := f.Value.Set(v); serr != nil {
			err = fmt.Errorf("%s=%q (--%s): %w", name, v, f.Name, serr)
		}
	})
	return err
}

// defaultUnsaid reports whether pflag's help leaves f's default out (it does for zero values).
func defaultUnsaid(f *pflag.Flag) bool {
	switch f.Value.Type() {
	case "string":
		return f.DefValue == ""
	case "bool":
		return f.DefValue == "false"
	case "int", "int64", "uint", "duration":
		return f.DefValue == "0" || f.DefValue == "0s"
	case "stringSlice", "stringArray":
		return f.DefValue == "[]"
	}
	return f.DefValue == ""
}
