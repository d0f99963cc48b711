package nn

// Model kinds recorded in checkpoints (checkpoints.ModelSpec.Kind).
const (
	KindMLP                 = "mlp"
	KindDeterministicPolicy = "deterministic-policy"
	KindGaussianPolicy      = "gaussian-policy"
	KindDynamics            = "dynamics"
	KindEnsemble            = "ensemble"
	KindQNetwork            = "q-network"
	KindReward              = "reward"
)

// Model is what every nn model provides for checkpointing.
type Model interface {
	// Name is the parameter name prefix, e.g. "policy".
	Name() string
	// Kind is one of the Kind* constants.
	Kind() string
	// Params are the learnable tensors, named "<Name>.<...>".
	Params() []*Param
	// Arch is a JSON-able description sufficient to rebuild the model.
	Arch() any
}
