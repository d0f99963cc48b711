package report_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mbrl/mbrl/trainers/compare"
	"github.com/mbrl/mbrl/trainers/report"
	"github.com/mbrl/mbrl/trainers/run"
)

// chromium returns the path of a Chromium binary, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("report browser test skipped: no Chromium found (install Debian's chromium package: apt-get install -y chromium)")
	return ""
}

// cdp is a minimal client of the Chrome DevTools Protocol over
// --remote-debugging-pipe: NUL-terminated JSON messages, requests on the
// browser's fd 3, responses and events on its fd 4.
type cdp struct {
	w      *os.File
	r      *bufio.Reader
	nextID int
	events []map[string]any
}

// call sends a command (to the page session when session is set) and
// returns its result, keeping the events that arrive meanwhile.
func (c *cdp) call(session, method string, params map[string]any) (map[string]any, error) {
	c.nextID++
	msg := map[string]any{"id": c.nextID, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	b, _ := json.Marshal(msg)
	if _, err := c.w.Write(append(b, 0)); err != nil {
		return nil, err
	}
	for {
		m, err := c.read()
		if err != nil {
			return nil, err
		}
		if id, ok := m["id"].(float64); ok && int(id) == c.nextID {
			if e, ok := m["error"]; ok {
				return nil, fmt.Errorf("%s: %v", method, e)
			}
			res, _ := m["result"].(map[string]any)
			return res, nil
		}
		c.events = append(c.events, m)
	}
}

func (c *cdp) read() (map[string]any, error) {
	b, err := c.r.ReadBytes(0)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(b[:len(b)-1], &m)
	return m, err
}

// waitEvent reads until the named event arrives (or one already did).
func (c *cdp) waitEvent(name string) error {
	for _, e := range c.events {
		if e["method"] == name {
			return nil
		}
	}
	for {
		m, err := c.read()
		if err != nil {
			return err
		}
		c.events = append(c.events, m)
		if m["method"] == name {
			return nil
		}
	}
}

// pageCheck is what the page reports about its figures.
type pageCheck struct {
	SVGs, Imgs int
	Bad        []string
	Title      string
}

// openReport loads the HTML file in headless Chromium and returns the
// console errors and exceptions, the figures' check and a full-page PNG
// screenshot.
func openReport(t *testing.T, path string) (errs []string, chk pageCheck, shot []byte) {
	t.Helper()
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	toBrowser, ourW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ourR, fromBrowser, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--remote-debugging-pipe", "--user-data-dir="+t.TempDir(), "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser} // fds 3 and 4
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	defer func() {
		ourW.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}()
	c := &cdp{w: ourW, r: bufio.NewReader(ourR)}
	fail := func(err error) {
		t.Helper()
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	tgt, err := c.call("", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		fail(err)
	}
	att, err := c.call("", "Target.attachToTarget", map[string]any{"targetId": tgt["targetId"], "flatten": true})
	if err != nil {
		fail(err)
	}
	s, _ := att["sessionId"].(string)
	for _, m := range []string{"Runtime.enable", "Log.enable", "Page.enable"} {
		if _, err := c.call(s, m, nil); err != nil {
			fail(err)
		}
	}
	abs, _ := filepath.Abs(path)
	if _, err := c.call(s, "Page.navigate", map[string]any{"url": "file://" + abs}); err != nil {
		fail(err)
	}
	if err := c.waitEvent("Page.loadEventFired"); err != nil {
		fail(err)
	}
	const probe = `JSON.stringify((() => {
		const bad = [];
		const svgs = [...document.querySelectorAll("figure svg")];
		for (const s of svgs) { const r = s.getBoundingClientRect(); if (!(r.width > 0 && r.height > 0) || s.querySelectorAll("path,text").length === 0) bad.push("svg " + r.width + "x" + r.height); }
		const imgs = [...document.images];
		for (const i of imgs) { if (!i.complete || i.naturalWidth === 0 || i.naturalHeight === 0) bad.push("img " + i.alt); }
		return {SVGs: svgs.length, Imgs: imgs.length, Bad: bad, Title: document.title};
	})())`
	res, err := c.call(s, "Runtime.evaluate", map[string]any{"expression": probe, "returnByValue": true})
	if err != nil {
		fail(err)
	}
	val, _ := res["result"].(map[string]any)
	if err := json.Unmarshal([]byte(fmt.Sprint(val["value"])), &chk); err != nil {
		t.Fatalf("page probe: %v (%v)", err, res)
	}
	sr, err := c.call(s, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	if err != nil {
		fail(err)
	}
	shot, err = base64.StdEncoding.DecodeString(fmt.Sprint(sr["data"]))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.events {
		p, _ := e["params"].(map[string]any)
		switch e["method"] {
		case "Runtime.exceptionThrown":
			errs = append(errs, fmt.Sprint(p["exceptionDetails"]))
		case "Runtime.consoleAPICalled":
			if p["type"] == "error" || p["type"] == "warning" {
				errs = append(errs, fmt.Sprint(p["args"]))
			}
		case "Log.entryAdded":
			if en, _ := p["entry"].(map[string]any); en["level"] == "error" || en["level"] == "warning" {
				errs = append(errs, fmt.Sprint(en["text"], " ", en["url"]))
			}
		}
	}
	return errs, chk, shot
}

// runFixture writes a small run folder: config, summary, metrics, a
// learning curve (SVG twin) and a PNG without a twin.
func runFixture(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"config.yaml":  "method: \"dagger\"\nenv: \"pendulum\"\nhidden: [64, 64]\nseed: 1\n",
		"summary.json": `{"command":"train","method":"dagger","env":"pendulum","seed":1,"iterations":3,"wall_seconds":12.5,"labels":12000,"eval":{"episodes":100,"mean_return":-150.2,"std_return":80.1,"min_return":-380,"max_return":-1,"median_return":-125},"expert_return":-145}` + "\n",
		"metrics.csv":  "iter,wall_s,labels,eval_return,eval_std\n1,4,4000,-300,90\n2,8,8000,-200,85\n3,12.5,12000,-150.2,80.1\n",
	}
	for name, s := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := run.History{{"labels": 4000, "eval_return": -300, "eval_std": 90}, {"labels": 8000, "eval_return": -200, "eval_std": 85}, {"labels": 12000, "eval_return": -150.2, "eval_std": 80.1}}
	if err := run.PlotHistory(filepath.Join(dir, "learning_curve.png"), "dagger on pendulum", "labels", "caption", []string{"eval_return"}, h); err != nil {
		t.Fatal(err)
	}
	f := &run.Figure{Title: "png only", Panels: []run.Panel{{YLabel: "y", Series: []run.Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1, 3}}}}}}
	if err := f.WriteFile(filepath.Join(dir, "extra.png")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// compareFixture writes a comparison folder of two methods over three
// seeds with compare.Report.WriteFiles (which writes report.html).
func compareFixture(t *testing.T) string {
	dir := t.TempDir()
	specs, err := compare.ParseMethods("dagger,bc")
	if err != nil {
		t.Fatal(err)
	}
	p := &compare.Plan{Env: "pendulum", Methods: specs, Seeds: []uint64{1, 2, 3}, EvalSeed: 11, Episodes: 100, Dir: dir}
	returns := map[string][]float64{"dagger": {-140, -150, -145}, "bc": {-300, -180, -700}}
	var runs []compare.RunResult
	for _, j := range p.Jobs() {
		v, wall := returns[j.Spec.Text][j.Seed-1], 20.0
		runs = append(runs, compare.RunResult{Job: j, Method: j.Spec.Text, Seed: j.Seed, Dir: j.Dir, Status: compare.StatusDone, Return: &v, WallSeconds: &wall})
	}
	rep := compare.Summarise(p, runs, &compare.Optimum{MeanReturn: -131.5})
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReportInBrowser renders the report of a run folder and of a
// comparison folder, loads each in headless Chromium and checks that the
// page raises no console error or warning, that every figure (inline SVG
// or PNG) is drawn at a non-zero size, and that the screenshot is a
// non-empty image. MBRL_REPORT_SHOTS=DIR keeps the screenshots.
func TestReportInBrowser(t *testing.T) {
	chromium(t)
	cases := []struct {
		name        string
		dir         func(*testing.T) string
		svgs, imgs  int
		mustContain []string
		write       bool
	}{
		{"run", runFixture, 1, 1, []string{"What was trained", "How well", "How long", "-150.2", "12.5 s", "mbrl train dagger --env pendulum --hidden 64,64 --seed 1"}, true},
		{"compare", compareFixture, 1, 0, []string{"Leaderboard", "IQM", "optimum", "mbrl compare --env pendulum --methods dagger,bc"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := c.dir(t)
			path := filepath.Join(dir, report.FileName)
			if c.write {
				var err error
				if path, err = report.Write(dir); err != nil {
					t.Fatal(err)
				}
			}
			html, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.mustContain {
				if !strings.Contains(string(html), s) {
					t.Errorf("report lacks %q", s)
				}
			}
			for _, s := range []string{"<script", `src="http`, `href="http`, "url(http", "@import"} {
				if strings.Contains(string(html), s) {
					t.Errorf("report contains %q: it must load nothing from the network and run no script", s)
				}
			}
			errs, chk, shot := openReport(t, path)
			if len(errs) > 0 {
				t.Errorf("console errors: %v", errs)
			}
			if chk.SVGs != c.svgs || chk.Imgs != c.imgs || len(chk.Bad) > 0 {
				t.Errorf("figures: %d inline SVG, %d img (want %d, %d), not drawn: %v", chk.SVGs, chk.Imgs, c.svgs, c.imgs, chk.Bad)
			}
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 600 {
				t.Errorf("screenshot is %dx%d, want a full page", b.Dx(), b.Dy())
			}
			if out := os.Getenv("MBRL_REPORT_SHOTS"); out != "" {
				_ = os.WriteFile(filepath.Join(out, c.name+".png"), shot, 0o644)
			}
		})
	}
}
