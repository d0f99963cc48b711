package envs

// Twins reports whether the environments named a and b are the same
// system under two names: a built-in env and the Gymnasium env it
// reproduces (the replay tests of envs/gym check that they agree to
// float32 precision, step by step and at termination). A policy trained
// on one may then be evaluated on the other: "mbrl eval --checkpoint
// RUN/final.safetensors --env pendulum" scores a policy trained on
// gym:Pendulum-v1 on the built-in env's fixed starts. Names equal to each
// other are twins too.
//
//	pendulum  gym:Pendulum-v1
//	cartpole  gym:CartPole-v1, gym:CartPole-v0 (its episodes end at 200 steps)
func Twins(a, b string) bool {
	if a == b {
		return true
	}
	return builtinTwin(a) == builtinTwin(b) && builtinTwin(a) != ""
}

// builtinTwin returns the built-in env that name is or reproduces, or "".
func builtinTwin(name string) string {
	switch name {
	case "pendulum", "gym:Pendulum-v1":
		return "pendulum"
	case "cartpole", "gym:CartPole-v1", "gym:CartPole-v0":
		return "cartpole"
	}
	return ""
}
