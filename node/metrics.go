package node

import (
	"strings"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// Metrics receives the node's measurements. The HTTP layer backs it with
// Prometheus collectors; nil funcs are skipped.
type Metrics struct {
	// Decided is called once per decision.
	Decided func(region string, kind allot.DecisionKind, queue string)
	// SLABreach is called once per committed SLA breach (an assignment not
	// touched within its response SLA, taken back).
	SLABreach func(region, queue string)
	// ItemsCreated is called once per committed new item.
	ItemsCreated func(region string, n int)
	// Batch is called once per group commit with the time spent deciding
	// (engine) and committing (store), and the number of entries.
	Batch func(region string, entries int, decide, commit time.Duration)
}

func (m *Metrics) observeBatch(region string, b *store.Batch, decide, commit time.Duration) {
	if m.Batch != nil {
		m.Batch(region, len(b.Entries), decide, commit)
	}
	for _, d := range b.Decisions {
		if m.Decided != nil {
			m.Decided(region, d.Kind, d.Queue)
		}
		if m.SLABreach != nil && d.From != "" && strings.HasPrefix(d.Cause, "sla_breach") {
			m.SLABreach(region, d.Queue)
		}
	}
	if m.ItemsCreated != nil {
		n := 0
		for _, e := range b.Entries {
			if e.Kind == KindItemArrived {
				n++
			}
		}
		if n > 0 {
			m.ItemsCreated(region, n)
		}
	}
}
