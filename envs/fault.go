package envs

import "io"

// Faulter is implemented by environments whose Reset and Step can fail,
// such as a Gymnasium environment in another process (envs/gym). After a
// fault, Err returns it, Reset returns a finite observation and Step
// reports the episode terminated, so that loops end; callers check Err
// after Reset and after every Step and stop with the error.
type Faulter interface {
	Err() error
}

// Err returns the fault of env if it is a Faulter, else nil.
func Err(env Env) error {
	if f, ok := env.(Faulter); ok {
		return f.Err()
	}
	return nil
}

// Close releases env's resources if it holds any (an io.Closer, such as
// a Gymnasium bridge's process); other environments need no closing.
func Close(env Env) error {
	if c, ok := env.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
