package dagger

import (
	"reflect"
	"testing"

	runs "github.com/mbrl/mbrl/trainers/run"
)

func TestSummarizer(t *testing.T) {
	r := &runs.Run{History: runs.History{
		{"labels": 100, "train_return": -300, "expert_return": -150},
		{"labels": 200, "train_return": -200},
	}}
	sum := runs.Summary{}
	if err := Summarizer("mpc", 1, 5, map[string]any{"beta_decay": 0.5})(r, sum); err != nil {
		t.Fatal(err)
	}
	want := runs.Summary{"expert": "mpc", "plans": 1, "episodes_per_iter": 5, "beta_decay": 0.5,
		"labels": 200.0, "train_return": -200.0, "mean_train_return": -250.0}
	if !reflect.DeepEqual(sum, want) {
		t.Errorf("summary %v, want %v", sum, want)
	}
}
