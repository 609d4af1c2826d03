package veil.monitoring_test

import rego.v1

import data.veil.monitoring

at(level, roles) := {"caller": {"roles": roles}, "signals": {"rate": {"level": level, "score": 1}}}

rules(d) := [a.rule | some a in d.actions]

test_a_quiet_caller_triggers_nothing if {
	monitoring.decision == {"actions": []} with input as at("none", ["analyst"])
}

test_the_ladder_escalates_in_order if {
	rules(monitoring.decision) == ["rate-alert"] with input as at("low", ["analyst"])
	rules(monitoring.decision) == ["rate-alert", "rate-degrade"] with input as at("medium", ["analyst"])
	rules(monitoring.decision) == ["rate-alert", "rate-degrade", "rate-block"] with input as at("high", ["analyst"])
}

test_researchers_are_throttled_not_blocked if {
	d := monitoring.decision with input as at("high", ["researcher"])
	rules(d) == ["rate-alert", "rate-degrade", "rate-throttle-researchers"]
	d.actions[2].throttle_per_second == 1
}

test_no_signal_no_action if {
	monitoring.decision == {"actions": []} with input as {"caller": {"roles": []}, "signals": {}}
}
