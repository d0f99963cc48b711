package envs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Dimensions and actions of the Dyna maze.
const (
	MazeRows = 6
	MazeCols = 9

	MazeUp    = 0 // row - 1
	MazeDown  = 1 // row + 1
	MazeLeft  = 2 // col - 1
	MazeRight = 3 // col + 1
)

// mazeLayout is Figure 8.2 of Sutton & Barto (2018), row 0 at the top:
// S start, G goal, # wall.
const mazeLayout = "" +
	".......#G" +
	"..#....#." +
	"S.#....#." +
	"..#......" +
	".....#..." +
	"........."

// Maze is the Dyna maze of Sutton & Barto, Reinforcement Learning: An
// Introduction (2nd ed., 2018), Example 8.1 and Figure 8.2:
//
//	  col 012345678
//	row 0   .......#G
//	    1   ..#....#.
//	    2   S.#....#.
//	    3   ..#......
//	    4   .....#...
//	    5   .........
//
//	| item              | value                                                    |
//	|-------------------|----------------------------------------------------------|
//	| name              | "maze"                                                   |
//	| state             | [s], s = row*9 + col, rows counted from the top          |
//	| observation space | discrete(54): the state index s as one float64           |
//	| action space      | discrete(4): 0 up, 1 down, 2 left, 3 right               |
//	| dynamics          | deterministic; a move into a wall or off the grid stays  |
//	| reward            | 1 on the step that reaches the goal, 0 otherwise         |
//	| start             | S = (row 2, col 0), s = 18, always                       |
//	| termination       | on reaching the goal G = (row 0, col 8), s = 8           |
//	| truncation        | never (MaxSteps 0)                                       |
//
// Walls are at (1,2), (2,2), (3,2), (0,7), (1,7), (2,7) and (4,5). The
// shortest path from S to G takes 14 steps. Stepping on after termination
// moves from the goal cell like from any other cell; callers Reset instead.
// Wall cells are valid indices of the observation space that are never
// visited.
type Maze struct {
	pos   int
	steps int
}

var _ Env = (*Maze)(nil)

// NewMaze returns the Dyna maze with the agent at the start.
func NewMaze() *Maze { return &Maze{pos: mazeStart()} }

func mazeStart() int { return strings.IndexByte(mazeLayout, 'S') }

// Name returns "maze".
func (m *Maze) Name() string { return "maze" }

// ObservationSpace is discrete(54).
func (m *Maze) ObservationSpace() Space { return DiscreteSpace(MazeRows * MazeCols) }

// ActionSpace is discrete(4).
func (m *Maze) ActionSpace() Space { return DiscreteSpace(4) }

// MaxSteps returns 0: episodes end only at the goal.
func (m *Maze) MaxSteps() int { return 0 }

// StateDim returns 1.
func (m *Maze) StateDim() int { return 1 }

// NumStates returns 54 (walls included).
func (m *Maze) NumStates() int { return MazeRows * MazeCols }

// NumActions returns 4.
func (m *Maze) NumActions() int { return 4 }

// StartState returns the index of the start, 18.
func (m *Maze) StartState() int { return mazeStart() }

// GoalState returns the index of the goal, 8.
func (m *Maze) GoalState() int { return strings.IndexByte(mazeLayout, 'G') }

// StateIndex returns row*9 + col.
func (m *Maze) StateIndex(row, col int) int { return row*MazeCols + col }

// RowCol returns the row and column of state s.
func (m *Maze) RowCol(s int) (row, col int) { return s / MazeCols, s % MazeCols }

// IsWall reports whether state s is a wall cell.
func (m *Maze) IsWall(s int) bool { return mazeLayout[s] == '#' }

// Transition returns the state after action a (0 up, 1 down, 2 left,
// 3 right) from state s, the reward and whether the goal was reached. It
// panics if s or a is out of range.
func (m *Maze) Transition(s, a int) (next int, reward float64, terminated bool) {
	if s < 0 || s >= len(mazeLayout) {
		panic(fmt.Sprintf("envs: maze state %d out of range [0, %d)", s, len(mazeLayout)))
	}
	r, c := m.RowCol(s)
	switch a {
	case MazeUp:
		r--
	case MazeDown:
		r++
	case MazeLeft:
		c--
	case MazeRight:
		c++
	default:
		panic(fmt.Sprintf("envs: maze action %d is not one of 0..3", a))
	}
	next = s
	if r >= 0 && r < MazeRows && c >= 0 && c < MazeCols && !m.IsWall(m.StateIndex(r, c)) {
		next = m.StateIndex(r, c)
	}
	if next == m.GoalState() {
		return next, 1, true
	}
	return next, 0, false
}

// Reset puts the agent at the start; rng is not used (the start is fixed).
func (m *Maze) Reset(rng *rand.Rand) []float64 {
	m.pos, m.steps = m.StartState(), 0
	return []float64{float64(m.pos)}
}

// Step moves the agent. action[0] must be 0, 1, 2 or 3 (validate user input
// with ActionSpace().Validate); Step panics otherwise.
func (m *Maze) Step(action []float64) (obs []float64, reward float64, terminated, truncated bool) {
	a := action[0]
	if a != math.Trunc(a) || a < 0 || a > 3 {
		panic(fmt.Sprintf("envs: maze action %g is not one of 0..3", a))
	}
	m.pos, reward, terminated = m.Transition(m.pos, int(a))
	m.steps++
	return []float64{float64(m.pos)}, reward, terminated, false
}

// State returns [s].
func (m *Maze) State() []float64 { return []float64{float64(m.pos)} }

// SetState puts the agent at x = [s]; s must be the index of a cell that is
// not a wall.
func (m *Maze) SetState(x []float64) ([]float64, error) {
	if err := checkState("maze", x, 1); err != nil {
		return nil, err
	}
	s := x[0]
	if s != math.Trunc(s) || s < 0 || s >= float64(m.NumStates()) {
		return nil, fmt.Errorf("envs: maze state %g is not an index in 0..%d", s, m.NumStates()-1)
	}
	if m.IsWall(int(s)) {
		r, c := m.RowCol(int(s))
		return nil, fmt.Errorf("envs: maze state %g (row %d, col %d) is a wall", s, r, c)
	}
	m.pos, m.steps = int(s), 0
	return m.State(), nil
}

// Render draws the grid as 6 lines of 9 characters: '#' wall, 'S' start,
// 'G' goal, '.' free, and 'A' for the agent's current cell.
func (m *Maze) Render() string {
	return m.render(func(s int) byte {
		if s == m.pos {
			return 'A'
		}
		return mazeLayout[s]
	})
}

// RenderPolicy draws the grid with an arrow for the action taken in each
// free cell: '^' up, 'v' down, '<' left, '>' right ('?' for an action out of
// range); walls are '#' and the goal 'G'. actions has one entry per state
// (len NumStates); entries of walls and the goal are ignored.
func (m *Maze) RenderPolicy(actions []int) string {
	return m.render(func(s int) byte {
		if ch := mazeLayout[s]; ch == '#' || ch == 'G' {
			return ch
		}
		if s >= len(actions) || actions[s] < 0 || actions[s] > 3 {
			return '?'
		}
		return "^v<>"[actions[s]]
	})
}

func (m *Maze) render(cell func(s int) byte) string {
	var b strings.Builder
	for r := 0; r < MazeRows; r++ {
		for c := 0; c < MazeCols; c++ {
			b.WriteByte(cell(m.StateIndex(r, c)))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
