# Model age (section 5.5): retrain at least every quarter; a stale model answers with labels only.
package veil.model

import rego.v1

decision := {"rule": "default", "stale": stale, "action": "degrade"}

default stale := false

stale if input.model.age_days > 90
