package envs

import "testing"

func TestTwins(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"pendulum", "pendulum", true},
		{"gym:Acrobot-v1", "gym:Acrobot-v1", true},
		{"pendulum", "gym:Pendulum-v1", true},
		{"gym:Pendulum-v1", "pendulum", true},
		{"cartpole", "gym:CartPole-v1", true},
		{"gym:CartPole-v0", "gym:CartPole-v1", true},
		{"cartpole", "gym:Pendulum-v1", false},
		{"cartpole-continuous", "cartpole", false},
		{"pendulum", "gym:Pendulum-v0", false},
		{"linear", "maze", false},
		{"", "", true},
		{"", "pendulum", false},
	} {
		if got := Twins(c.a, c.b); got != c.want {
			t.Errorf("Twins(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
