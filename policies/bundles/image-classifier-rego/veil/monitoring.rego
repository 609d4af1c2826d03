# Query-stream monitoring (section 5.4): every rule that matches fires, in this order (escalation
# ladders on the detectors configured in data.veil.settings). Same policy as
# ../../image-classifier/image-classifier.veil.yaml, monitoring section.
package veil.monitoring

import rego.v1

decision := {"actions": [a | some a in ladder; a.rule in matching]}

act(action, rule, signal) := {
	"action": action, "rule": rule, "signal": signal,
	"cooldown_seconds": 0, "throttle_per_second": 0,
}

block(rule, signal) := object.union(act("block", rule, signal), {"cooldown_seconds": 900})

# The attack detectors block for a day: an attack that waited out a short block would go on.
attack_block(rule, signal) := object.union(act("block", rule, signal), {"cooldown_seconds": 86400})

ladder := [
	act("alert", "rate-alert", "rate"),
	act("degrade", "rate-degrade", "rate"),
	block("rate-block", "rate"),
	object.union(act("throttle", "rate-throttle-researchers", "rate"), {"cooldown_seconds": 300, "throttle_per_second": 1}),
	act("degrade", "near-duplicate-degrade", "near_duplicate"),
	attack_block("near-duplicate-block", "near_duplicate"),
	act("degrade", "near-duplicate-global-degrade", "near_duplicate_global"),
	act("degrade", "knn-degrade", "knn"),
	attack_block("knn-block", "knn"),
	act("degrade", "knn-global-degrade", "knn_global"),
	act("degrade", "antithetic-degrade", "antithetic"),
	attack_block("antithetic-block", "antithetic"),
	act("degrade", "smooth-degrade", "smooth"),
	attack_block("smooth-block", "smooth"),
	act("degrade", "smooth-tenant-degrade", "smooth_tenant"),
	act("degrade", "antithetic-tenant-degrade", "antithetic_tenant"),
	attack_block("antithetic-tenant-block", "antithetic_tenant"),
	act("degrade", "confidence-climb-degrade", "confidence_climb"),
	act("alert", "class-focus-alert", "class_focus"),
	act("alert", "boundary-alert", "boundary"),
]

matching contains "rate-alert" if at_least("rate", "low")

matching contains "rate-degrade" if at_least("rate", "medium")

matching contains "rate-block" if {
	at_least("rate", "high")
	not researcher
}

matching contains "rate-throttle-researchers" if {
	at_least("rate", "high")
	researcher
}

# Probing: at high labels only, and a one-day block for all but researchers; no rule at medium or
# low (those levels reach the audit record's signals, not an alarm). The
# signals that count every tenant's queries degrade but never block: one query sent by
# somebody else, a near copy of what an honest caller will send, would otherwise block that caller.
# antithetic_tenant counts the caller's own tenant only, and blocks; smooth_tenant only degrades
# (the tenant's researchers, who may send synthetic images, raise it for everybody in the tenant).
own_probing := {
	"near_duplicate": "near-duplicate", "knn": "knn", "antithetic": "antithetic", "smooth": "smooth",
	"antithetic_tenant": "antithetic-tenant",
}

shared_probing := {
	"near_duplicate_global": "near-duplicate-global", "knn_global": "knn-global",
	"smooth_tenant": "smooth-tenant",
}

probing := object.union(own_probing, shared_probing)

matching contains concat("-", [id, "degrade"]) if {
	some signal, id in probing
	at_least(signal, "high")
}

matching contains concat("-", [id, "block"]) if {
	some signal, id in own_probing
	at_least(signal, "high")
	not researcher
}

matching contains "confidence-climb-degrade" if at_least("confidence_climb", "high")

matching contains "class-focus-alert" if at_least("class_focus", "high")

matching contains "boundary-alert" if at_least("boundary", "high")

researcher if "researcher" in input.caller.roles

rank := {"none": 0, "low": 1, "medium": 2, "high": 3}

# The signal of the named detector is at the given level or above.
at_least(signal, level) if rank[input.signals[signal].level] >= rank[level]
