package cli

import (
	"context"

	"github.com/mbrl/mbrl/envs"
	"github.com/mbrl/mbrl/envs/gym"
)

// gymFlags are the options of Gymnasium environments (--env gym:ID),
// registered on every command that has --env.
type gymFlags struct {
	Python, Kwargs string
	ctx            context.Context
}

// addGymFlags registers --python and --gym-kwargs if the command has
// --env, and remembers ctx: the bridges of the command's envs end with it.
func (b *Binder) addGymFlags(ctx context.Context) {
	b.gym.ctx = ctx
	if b.FS.Lookup("env") == nil || b.FS.Lookup("python") != nil {
		return
	}
	b.FS.StringVar(&b.gym.Python, "python", "python3", "Python interpreter (name on PATH or path) that runs the Gymnasium bridge of --env gym:ID; it needs gymnasium (pip install gymnasium)")
	b.FS.StringVar(&b.gym.Kwargs, "gym-kwargs", "", "keyword arguments of gym.make for --env gym:ID, as a JSON object, e.g. '{\"g\": 9.81}'")
}

// makeGym makes the Gymnasium env name ("gym:ID") through the bridge and
// returns it with its constructor (one bridge process per env made).
func (b *Binder) makeGym(name string) (envs.Env, func() (envs.Env, error), error) {
	o := gym.Options{Python: b.gym.Python, Kwargs: b.gym.Kwargs, Context: b.gym.ctx}
	mk := func() (envs.Env, error) { return gym.New(name[len(gym.Prefix):], o) }
	env, err := mk()
	if err != nil {
		return nil, nil, AsUsage(err)
	}
	return env, mk, nil
}
