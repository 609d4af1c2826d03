package veil.access_test

import rego.v1

import data.veil.access

caller(id, roles, tenant, attributes) := {"caller": {
	"id": id, "authenticated": true, "method": "api_key",
	"roles": roles, "tenant": tenant, "attributes": attributes,
}}

test_analysts_get_five_per_second if {
	d := access.decision with input as caller("ann", ["analyst"], "acme", {})
	d.allow
	d.rule == "analysts"
	d.rate_limit == {"per_second": 5, "burst": 20}
	d.daily_quota == 5000
}

test_researchers_win_over_analysts if {
	d := access.decision with input as caller("rob", ["analyst", "researcher"], "acme", {})
	d.rule == "researchers"
}

test_a_suspended_account_is_refused_whatever_its_roles if {
	d := access.decision with input as caller("sue", ["researcher"], "acme", {"status": "suspended"})
	not d.allow
	d.rule == "suspended"
	d.rate_limit == null
}

test_staff_roles_held_outside_acme_are_refused if {
	d := access.decision with input as caller("rob", ["researcher"], "northwind", {"contract": "active", "region": "eu"})
	not d.allow
	d.rule == "internal-roles"
	not access.decision.allow with input as caller("ann", ["analyst", "partner"], "", {})
}

test_the_partner_needs_an_active_contract_in_the_eu_or_uk if {
	access.decision.allow with input as caller("p", ["partner"], "northwind", {"contract": "active", "region": "uk"})
	not access.decision.allow with input as caller("p", ["partner"], "northwind", {"contract": "active", "region": "us"})
	not access.decision.allow with input as caller("p", ["partner"], "northwind", {"region": "eu"})
}

test_everybody_else_is_refused if {
	d := access.decision with input as caller("eve", ["intern"], "acme", {})
	not d.allow
	d.rule == "default"
	d.daily_quota == 0
}
