# The load test's grant model in Rego, for the OPA peer (tests/load/opa.go builds the data:
# tokens → role index, each role's scopes → the entity IDs they are granted on, or all, and
# entity names → IDs). It answers the same request bodies POST /access/check takes.
package iamref

import rego.v1

# results answers input.checks in order, as POST /access/check does.
results := [allowed(c) | some c in input.checks]

allowed(c) := true if {
	decide(c)
} else := false

decide(c) if {
	role := data.tokens[c.principal]
	data.roles[role][c.action].all
}

decide(c) if {
	role := data.tokens[c.principal]
	data.roles[role][c.action].on[entity_id(c.entity)]
}

entity_id(e) := e.id if e.id != ""

entity_id(e) := id if {
	not e.id
	id := data.names[e.kind][concat("/", [e.project, e.name])]
}
