package control

import (
	"errors"
	"math"
	"testing"

	"github.com/mbrl/mbrl/config"
)

func TestSettingsDefaultsAndValidation(t *testing.T) {
	il := DefaultILQRSettings()
	if il.MaxIter != 100 || il.RelTol != 1e-7 || il.Delta0 != 2 || len(il.Alphas) != 11 || il.Alphas[0] != 1 {
		t.Fatalf("DefaultILQRSettings() = %+v", il)
	}
	if c := DefaultCEMSettings(); c.Horizon != 20 || c.Samples != 100 || c.Elites != 10 || c.Iters != 4 || c.Rng == nil {
		t.Fatalf("DefaultCEMSettings() = %+v", c)
	}
	for _, err := range []error{il.Validate(), (ILQRSettings{}).Validate(), DefaultCEMSettings().Validate(), (MPCSettings{}).Validate()} {
		if err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		field string
		err   error
	}{
		{"MaxIter", ILQRSettings{MaxIter: -1}.Validate()},
		{"Delta0", ILQRSettings{Delta0: 0.5}.Validate()},
		{"Alphas", ILQRSettings{Alphas: []float64{1, 0}}.Validate()},
		{"Samples", CEMSettings{Samples: -3}.Validate()},
		{"Alpha", CEMSettings{Alpha: 1}.Validate()},
		{"InitStd", CEMSettings{InitStd: math.Inf(1)}.Validate()},
		{"Plans", MPCSettings{Plans: -1}.Validate()},
		{"ILQR.GradTol", MPCSettings{ILQR: ILQRSettings{GradTol: -1}}.Validate()},
	}
	for _, tc := range cases {
		var ce *config.Error
		if !errors.As(tc.err, &ce) || ce.Pkg != "control" || ce.Field != tc.field {
			t.Errorf("%s: got %v, want a *config.Error of control naming it", tc.field, tc.err)
		}
	}
}
