package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBankReplay replays one real day of the Anonymous Bank log (CRLF,
// 0:00:00 sentinels, a service interval past midnight, NO_SERVER rows, clock
// skew between VRU and agents) and checks the arrivals against counts made
// on the file with awk.
func TestBankReplay(t *testing.T) {
	t.Parallel()
	scn, err := ParseScenario([]byte("arrivals:\n  csv: {path: bank_19990201.txt, format: bank}\nagents: {count: 10}\nsla_seconds: 60\n"), "testdata/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := loadCSV(&scn, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 1,567 rows: 16 PHANTOM and the HANG calls that never queued are
	// skipped; every AGENT row is kept, NO_SERVER ones included.
	var hang, served int
	for _, r := range rows {
		if r.patience >= 0 {
			hang++
		} else {
			served++
		}
	}
	if served != 1354 {
		t.Errorf("%d served calls, want the file's 1,354 AGENT rows", served)
	}
	if hang == 0 || hang > 197 {
		t.Errorf("%d abandoning calls, want the queued part of the 197 HANG rows", hang)
	}
	if want := time.Date(1999, 2, 1, 0, 0, 0, 0, time.UTC); !scn.Start.Equal(want) {
		t.Errorf("start %v, want %v", scn.Start, want)
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].at < rows[i-1].at {
			t.Fatal("arrivals out of order")
		}
	}
	rep, err := Run(scn, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Arrivals != int64(len(rows)) || r.Assigned+r.Abandoned+r.Unassigned != r.Arrivals {
		t.Errorf("accounting: %d rows, result %+v", len(rows), r)
	}
}

func TestCSVErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	head := "vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\tq_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver\r\n"
	good := "AA0101\t1\t0\t0\tPS\t990201\t7:02:47\t7:02:56\t9\t0:00:00\t0:00:00\t0\tAGENT\t7:02:55\t7:05:41\t166\tDORIT\r\n"
	for _, tc := range []struct{ name, body, want string }{
		{"bad time", head + good + strings.Replace(good, "\t7:02:56", "\t7:6x:56", 1), "calls.txt:3:"},
		{"bad outcome", head + strings.Replace(good, "AGENT", "MAYBE", 1), "calls.txt:2:"},
		{"bad date", head + strings.Replace(good, "990201", "99-02-01", 1), "date"},
		{"missing column", "a\tb\r\n1\t2\r\n", `missing column "priority"`},
		{"quote", head + "AA\"01\t1\r\n", "calls.txt:2:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "calls.txt")
			os.WriteFile(p, []byte(tc.body), 0o644)
			scn := Scenario{Arrivals: Arrivals{CSV: &CSV{Path: p, Format: "bank"}}, HandleTime: Distribution{Distribution: "recorded"}, Agents: Agents{Count: 1}}
			if err := scn.Validate(); err != nil {
				t.Fatal(err)
			}
			_, err := loadCSV(&scn, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "calls.txt") {
				t.Fatalf("error %v does not name the file", err)
			}
		})
	}
	// Generic columns with position.
	p := filepath.Join(dir, "leads.csv")
	os.WriteFile(p, []byte("created,type,handle_s\n2024-01-01T09:00:00Z,lead,60\n2024-01-01T09:01:00Z,lead,sixty\n"), 0o644)
	scn := Scenario{Arrivals: Arrivals{CSV: &CSV{Path: p, TimeColumn: "created", TypeColumn: "type", HandleSecondsColumn: "handle_s"}}, Agents: Agents{Count: 1}}
	if err := scn.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCSV(&scn, 1); err == nil || !strings.Contains(err.Error(), "leads.csv:3:") {
		t.Fatalf("error %v, want leads.csv:3:", err)
	}
}
