// Package checkpoints saves and loads training checkpoints as safetensors
// files: one file holds the float64 weights of every model of a run together
// with the metadata needed to rebuild and resume it (method, env and its
// spaces, model kinds and architectures, normaliser statistics, iteration,
// seed, optimiser and RNG state).
//
// The file is a plain safetensors file (https://github.com/huggingface/safetensors),
// so PyTorch, JAX and NumPy users can read the tensors directly:
//
//	8 bytes     little-endian uint64 N, the header length
//	N bytes     UTF-8 JSON header, padded with spaces to a multiple of 8
//	rest        the data buffer: every tensor, little-endian, row-major
//
// The header maps each tensor name to
// {"dtype":"F64","shape":[...],"data_offsets":[begin,end]}, with offsets
// relative to the data buffer, contiguous and without gaps. Its
// "__metadata__" object (string values only) holds three keys written by
// this package: "format_version", "checksum" ("sha256:<hex>" of the data
// buffer) and "mbrl", the whole [Metadata] encoded as a JSON string.
//
// [Save] validates the checkpoint (shapes, declared models, no NaN or Inf,
// so a diverged run never replaces a good checkpoint), writes a temporary
// file in the target's directory, syncs it and renames it over the target,
// so readers see either the old file or the new one, never a mix;
// [WriteFileAtomic] writes any other file the same way.
//
// [Load] validates everything before returning anything: a truncated,
// corrupt or mismatched file gives one error that names the path and wraps
// one of [ErrTruncated], [ErrChecksum], [ErrHeader], [ErrVersion] or
// [ErrMismatch]. [ReadSafetensors] reads safetensors files written by
// other tools (F64 or F32 tensors, any metadata).
//
// Typical use:
//
//	c := &checkpoints.Checkpoint{
//		Meta: checkpoints.Metadata{Method: "gps", Env: "Pendulum-v1", Seed: 1,
//			Models: []checkpoints.ModelSpec{{Name: "policy", Kind: "mlp-policy",
//				Tensors: map[string][]int{"policy.l0.weight": {64, 3}, "policy.l0.bias": {64}}}}},
//		Tensors: []checkpoints.Tensor{
//			{Name: "policy.l0.weight", Shape: []int{64, 3}, Data: w},
//			{Name: "policy.l0.bias", Shape: []int{64}, Data: b},
//		},
//	}
//	if err := checkpoints.Save("runs/x/final.safetensors", c); err != nil { ... }
//	loaded, err := checkpoints.Load("runs/x/final.safetensors")
//	if errors.Is(err, checkpoints.ErrChecksum) { ... }
//	w, ok := loaded.Tensor("policy.l0.weight")
package checkpoints
