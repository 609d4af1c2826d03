# Query-stream monitoring (section 5.4): every rule that matches fires, in this order (an escalation
# ladder on the rate detector, configured in data.veil.settings).
package veil.monitoring

import rego.v1

decision := {"actions": [a | some a in ladder; a.rule in matching]}

ladder := [
	{"action": "alert", "rule": "rate-alert", "signal": "rate", "cooldown_seconds": 0, "throttle_per_second": 0},
	{"action": "degrade", "rule": "rate-degrade", "signal": "rate", "cooldown_seconds": 0, "throttle_per_second": 0},
	{"action": "block", "rule": "rate-block", "signal": "rate", "cooldown_seconds": 900, "throttle_per_second": 0},
	{
		"action": "throttle", "rule": "rate-throttle-researchers", "signal": "rate",
		"cooldown_seconds": 300, "throttle_per_second": 1,
	},
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

researcher if "researcher" in input.caller.roles

rank := {"none": 0, "low": 1, "medium": 2, "high": 3}

# The signal of the named detector is at the given level or above.
at_least(signal, level) if rank[input.signals[signal].level] >= rank[level]
