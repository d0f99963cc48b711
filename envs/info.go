package envs

// Info describes a registered environment.
type Info struct {
	Name        string `json:"name"`
	ObsDim      int    `json:"obs_dim"`
	StateDim    int    `json:"state_dim"`
	Observation Space  `json:"observation_space"`
	Action      Space  `json:"action_space"`
	MaxSteps    int    `json:"max_steps"` // 0: no limit
	Known       bool   `json:"known_dynamics"`
}

// Infos describes every registered environment, in the order of Names.
func Infos() ([]Info, error) {
	var infos []Info
	for _, name := range Names() {
		e, err := Make(name)
		if err != nil {
			return nil, err
		}
		_, known := DynamicsOf(e)
		infos = append(infos, Info{
			Name: name, ObsDim: e.ObservationSpace().Dim(), StateDim: e.StateDim(),
			Observation: e.ObservationSpace(), Action: e.ActionSpace(), MaxSteps: e.MaxSteps(), Known: known,
		})
	}
	return infos, nil
}
