# The audit record (section 5.7): pixels digested, never kept; the partner's images leave no trace;
# degraded answers keep their raw summary for review. The first rule that matches decides.
package veil.logging

import rego.v1

decision := object.union(defaults, {"rule": "partner-inputs-masked", "input": "mask"}) if {
	input.caller.tenant == "northwind"
} else := object.union(defaults, {"rule": "degraded-keep-raw", "raw": "keep"}) if {
	input.degraded == true
} else := defaults

defaults := {"rule": "default", "input": "digest", "output": "keep", "raw": "mask", "caller": "keep"}
