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
// this package: "format_version" ("2"), "checksum" and "mbrl", the whole
// [Metadata] encoded as a JSON string.
//
// The checksum ("sha256:<64 lowercase hex digits>") covers the whole file:
// it is the sha256 of every byte of the file (length prefix, header with
// all metadata, data) with the 64 hex digits of the checksum itself read
// as ASCII '0's. The header holds the text "checksum":"sha256: exactly
// once (quotes inside JSON strings are escaped, so it cannot hide in one),
// which locates the digits. Any change of any byte is therefore reported,
// as [ErrChecksum] or, when it breaks the structure first, [ErrHeader].
//
// Trainer state for --resume (Metadata.Optimizer: datasets, replay
// buffers, optimiser moments, counters, random streams) is JSON chosen by
// each trainer; Save stores every non-empty array of numbers in it as a
// 1-D tensor named "state.<path>" (I64 when all its numbers are integers,
// F64 otherwise) and leaves {"$tensor":"state.<path>"} in its place, so
// only scalars and structure stay in the metadata and PyTorch users can
// read the datasets too. An array written as [F64s] (its bytes in base64,
// {"$f64":"..."}) becomes the same F64 tensor without its values being
// printed and parsed. Load puts the values back bit for bit.
//
// Format version 1 (mbrl before the whole-file checksum) checksummed the
// data only and kept the trainer state as text; Load still reads such a
// file for its weights (evaluation, inspection) but drops its trainer
// state, so it cannot be resumed.
//
// [Save] validates the checkpoint (shapes, declared models, no NaN or Inf,
// so a diverged run never replaces a good checkpoint), writes a temporary
// file in the target's directory, syncs it and renames it over the target,
// so readers see either the old file or the new one, never a mix;
// [WriteFileAtomic] writes any other file the same way. [Encode] and
// [Decode] do the same in memory.
//
// [Load] validates everything before returning anything: a truncated,
// corrupt or mismatched file, or one holding NaN or Inf, gives one error
// that names the path (and the tensor) and wraps one of [ErrTruncated],
// [ErrChecksum], [ErrHeader], [ErrVersion], [ErrMismatch] or [ErrInvalid].
// The architectures the models declare are checked against the tensor
// shapes by package nn before any model is built (nn.CheckArchitectures,
// nn.LoadModel). [ReadSafetensors] reads safetensors files written by
// other tools (F64, F32 or I64 tensors, any metadata).
//
// Fuzzing: the seed corpora of the fuzz targets (f.Add and
// testdata/fuzz/<target>) run in every go test. To fuzz each for a minute:
//
//	go test ./checkpoints -run '^$' -fuzz '^FuzzLoad$' -fuzztime 1m           # bytes -> Load, Decode, ReadSafetensors
//	go test ./checkpoints -run '^$' -fuzz '^FuzzDecodeResealed$' -fuzztime 1m # bytes with a valid checksum -> Decode, Describe (inspect), Encode
//	go test ./checkpoints -run '^$' -fuzz '^FuzzState$' -fuzztime 1m          # trainer-state JSON -> Encode -> Decode
//	go test ./nn -run '^$' -fuzz '^FuzzLoadModel$' -fuzztime 1m               # declared model -> CheckArchitectures, LoadModel
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
