package sim

import (
	"testing"
	"time"
)

// benchScenario: 50 agents of capacity 1 at 85 % utilisation, exponential
// handle times of 180 s, patience 10 minutes, about n arrivals.
func benchScenario(n int) Scenario {
	const agents, aht = 50, 180.0
	rate := 0.85 * agents / aht * 3600
	return Scenario{Horizon: time.Duration(float64(n) / rate * float64(time.Hour)),
		Arrivals:   Arrivals{RatePerHour: rate},
		HandleTime: Distribution{Distribution: "exponential", MeanSeconds: aht},
		Patience:   &Distribution{Distribution: "exponential", MeanSeconds: 600},
		Agents:     Agents{Count: agents}}
}

func benchSimulate(b *testing.B, n int) {
	scn := benchScenario(n)
	var arrivals int64
	for b.Loop() {
		rep, err := Run(scn, nil, 1)
		if err != nil {
			b.Fatal(err)
		}
		arrivals += rep.Results[0].Arrivals
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(sec*1e9/float64(arrivals), "ns/arrival")
	b.ReportMetric(float64(arrivals)/sec, "arrivals/s")
}

// BenchmarkSimulate1M is the speed goal: 1,000,000 arrivals through a
// 50-agent config in ≤ 10 s on one core (run with -cpu 1 -benchtime 1x).
func BenchmarkSimulate1M(b *testing.B) { benchSimulate(b, 1_000_000) }

// BenchmarkSimulate100k is the same per arrival, cheaper.
func BenchmarkSimulate100k(b *testing.B) { benchSimulate(b, 100_000) }
