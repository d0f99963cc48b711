package envs

import (
	"math"
	"strings"
	"testing"
)

func TestMazeLayout(t *testing.T) {
	m := NewMaze()
	walls := [][2]int{{1, 2}, {2, 2}, {3, 2}, {0, 7}, {1, 7}, {2, 7}, {4, 5}}
	isWall := map[int]bool{}
	for _, w := range walls {
		isWall[m.StateIndex(w[0], w[1])] = true
	}
	for s := 0; s < m.NumStates(); s++ {
		if m.IsWall(s) != isWall[s] {
			r, c := m.RowCol(s)
			t.Errorf("IsWall(row %d, col %d) = %v", r, c, m.IsWall(s))
		}
	}
	if m.NumStates() != 54 || m.NumActions() != 4 {
		t.Errorf("NumStates %d NumActions %d, want 54 4", m.NumStates(), m.NumActions())
	}
	if m.StartState() != 2*9+0 || m.GoalState() != 0*9+8 {
		t.Errorf("start %d goal %d, want 18 8", m.StartState(), m.GoalState())
	}
	if r, c := m.RowCol(m.StateIndex(4, 5)); r != 4 || c != 5 {
		t.Errorf("RowCol(StateIndex(4, 5)) = %d, %d", r, c)
	}
	want := strings.Join([]string{
		".......#G",
		"..#....#.",
		"A.#....#.",
		"..#......",
		".....#...",
		".........",
	}, "\n") + "\n"
	if got := m.Render(); got != want {
		t.Errorf("Render:\n%s\nwant:\n%s", got, want)
	}
}

func TestMazeTransitions(t *testing.T) {
	m := NewMaze()
	tests := []struct {
		name         string
		row, col, a  int
		wantR, wantC int
		wantReward   float64
		wantTerm     bool
	}{
		{"up off the grid", 0, 0, MazeUp, 0, 0, 0, false},
		{"left off the grid", 2, 0, MazeLeft, 2, 0, 0, false},
		{"down off the grid", 5, 3, MazeDown, 5, 3, 0, false},
		{"right off the grid", 5, 8, MazeRight, 5, 8, 0, false},
		{"into wall (2,2) from the left", 2, 1, MazeRight, 2, 1, 0, false},
		{"into wall (4,5) from below", 5, 5, MazeUp, 5, 5, 0, false},
		{"into wall (0,7) from the left", 0, 6, MazeRight, 0, 6, 0, false},
		{"free move down", 2, 0, MazeDown, 3, 0, 0, false},
		{"free move left", 3, 1, MazeLeft, 3, 0, 0, false},
		{"free move right below the wall", 4, 2, MazeRight, 4, 3, 0, false},
		{"free move up", 5, 7, MazeUp, 4, 7, 0, false},
		{"goal from below", 1, 8, MazeUp, 0, 8, 1, true},
		{"goal blocked from the left by (0,7)", 0, 6, MazeRight, 0, 6, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := m.SetState([]float64{float64(m.StateIndex(tc.row, tc.col))}); err != nil {
				t.Fatal(err)
			}
			obs, r, term, trunc := m.Step([]float64{float64(tc.a)})
			want := float64(m.StateIndex(tc.wantR, tc.wantC))
			if obs[0] != want || r != tc.wantReward || term != tc.wantTerm || trunc {
				t.Errorf("got obs %v reward %g term %v trunc %v, want %g %g %v false", obs, r, term, trunc, want, tc.wantReward, tc.wantTerm)
			}
		})
	}
}

// TestMazeShortestPath runs a breadth-first search over Transition and checks
// the 14-step optimum of Sutton & Barto's Example 8.1, then walks one
// shortest path with Step.
func TestMazeShortestPath(t *testing.T) {
	m := NewMaze()
	dist := make([]int, m.NumStates())
	prev := make([][2]int, m.NumStates()) // state, action
	for i := range dist {
		dist[i] = -1
	}
	start, goal := m.StartState(), m.GoalState()
	dist[start] = 0
	queue := []int{start}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for a := 0; a < m.NumActions(); a++ {
			n, _, _ := m.Transition(s, a)
			if dist[n] < 0 {
				dist[n] = dist[s] + 1
				prev[n] = [2]int{s, a}
				queue = append(queue, n)
			}
		}
	}
	if dist[goal] != 14 {
		t.Fatalf("shortest path %d steps, want 14", dist[goal])
	}
	var actions []int
	for s := goal; s != start; s = prev[s][0] {
		actions = append([]int{prev[s][1]}, actions...)
	}
	m.Reset(newRNG(1))
	for i, a := range actions {
		_, r, term, trunc := m.Step([]float64{float64(a)})
		last := i == len(actions)-1
		if term != last || trunc || (r == 1) != last {
			t.Fatalf("step %d: reward %g terminated %v truncated %v", i+1, r, term, trunc)
		}
	}
	// Every free cell reaches the goal; walls are never reached.
	for s := range dist {
		if m.IsWall(s) != (dist[s] < 0) {
			t.Errorf("state %d: wall %v, distance %d", s, m.IsWall(s), dist[s])
		}
	}
}

func TestMazeSetStateErrors(t *testing.T) {
	m := NewMaze()
	for _, x := range [][]float64{{-1}, {54}, {2.5}, {math.NaN()}, {11}, {}, {1, 2}} {
		if _, err := m.SetState(x); err == nil || !strings.HasPrefix(err.Error(), "envs: ") {
			t.Errorf("SetState(%v) error %v", x, err)
		}
	}
}

func TestMazeInvalidActionPanics(t *testing.T) {
	for _, a := range []float64{-1, 4, 0.5} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Step(%g) did not panic", a)
				}
			}()
			m := NewMaze()
			m.Step([]float64{a})
		}()
	}
}

func TestMazeRenderPolicy(t *testing.T) {
	m := NewMaze()
	actions := make([]int, m.NumStates())
	for i := range actions {
		actions[i] = MazeRight
	}
	actions[m.StartState()] = MazeUp
	actions[1] = 9
	got := m.RenderPolicy(actions)
	want := ">?>>>>>#G\n" +
		">>#>>>>#>\n" +
		"^>#>>>>#>\n" +
		">>#>>>>>>\n" +
		">>>>>#>>>\n" +
		">>>>>>>>>\n"
	if got != want {
		t.Errorf("RenderPolicy:\n%s\nwant:\n%s", got, want)
	}
}
