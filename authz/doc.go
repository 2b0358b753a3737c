// Package authz is the evaluation library shared by the server and both providers. It is
// pure: no I/O, no HTTP.
//
//   - scope.go, catalog_data.go: the scope catalog (names, groups, entity kinds) and ScopeSet.
//   - descriptor.go: the PermissionDescriptor grammar; Parse reads it (parse.go, with one
//     decode rule per "__type" in decode.go), Format prints it canonically (format.go);
//     grants.go builds and reads the tree of a custom role (entity lists, tag selectors, a
//     condition, MaxOpenDuration); tags.go holds the tag name rules.
//   - condition/: the readable condition language (a CEL subset) ⇄ the grammar's expressions.
//   - walk.go: the one traversal of a tree (child paths, guards, Compose resolution); Eval
//     (eval.go) and Compile (compile.go) are its visitors.
//   - compile.go, decide.go: a principal's compiled Index; Decide, which does not allocate,
//     and Explain, which cites the grants that allow.
//   - guardrail.go: Guardrail, an organization-wide explicit deny attached to an Index
//     (WithGuardrails): Decide and Explain refuse what it selects whatever the grants say.
//   - covers.go: Covers, the escalation check ("does A hold everything B grants").
//   - reasons.go: every sentence about decisions and coverage, rendered from the values that
//     Explanation, Grant, Denial and Coverage carry.
package authz
