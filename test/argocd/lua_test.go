package argocd

import (
	"context"
	"fmt"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// health is what an Argo CD health script returns.
type health struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// argoHealthStatuses are the statuses Argo CD accepts from a script; any other turns
// into Unknown with "Lua returned an invalid health status".
var argoHealthStatuses = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true,
}

// runHealth runs a health script on obj as Argo CD's controller does: a fresh state
// with only the package, base and table libraries open (no string, math, os or io),
// obj as the global "obj" converted as Argo CD converts an unstructured object, and
// the script's return value read as {status, message}. A script that relies on
// anything more fails here as it would in Argo CD.
func runHealth(script string, obj map[string]any) (health, error) {
	state := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer state.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := state.CallByParam(lua.P{Fn: state.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			return health{}, fmt.Errorf("open Lua library %q: %w", lib.name, err)
		}
	}
	// Argo CD allows one second; the generous limit here only stops a runaway loop
	// from hanging the test on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	state.SetContext(ctx)

	value, err := toLua(state, obj)
	if err != nil {
		return health{}, err
	}
	state.SetGlobal("obj", value)
	if err := state.DoString(script); err != nil {
		return health{}, fmt.Errorf("run health script: %w", err)
	}
	table, ok := state.Get(-1).(*lua.LTable)
	if !ok {
		return health{}, fmt.Errorf("health script returned %s, not a table", state.Get(-1).Type())
	}
	var result health
	for field, into := range map[string]*string{"status": &result.Status, "message": &result.Message} {
		switch value := table.RawGetString(field).(type) {
		case lua.LString:
			*into = string(value)
		case *lua.LNilType:
		default:
			return health{}, fmt.Errorf("health script returned %s %s, not a string", field, value.Type())
		}
	}
	if !argoHealthStatuses[result.Status] {
		return health{}, fmt.Errorf("health script returned status %q, which Argo CD turns into Unknown", result.Status)
	}
	return result, nil
}

// toLua converts an unstructured object to Lua values the way Argo CD does: maps to
// tables keyed by string, slices to arrays, every number to a Lua number.
func toLua(state *lua.LState, value any) (lua.LValue, error) {
	switch typed := value.(type) {
	case nil:
		return lua.LNil, nil
	case bool:
		return lua.LBool(typed), nil
	case string:
		return lua.LString(typed), nil
	case int64:
		return lua.LNumber(typed), nil
	case float64:
		return lua.LNumber(typed), nil
	case []any:
		table := state.CreateTable(len(typed), 0)
		for _, item := range typed {
			converted, err := toLua(state, item)
			if err != nil {
				return nil, err
			}
			table.Append(converted)
		}
		return table, nil
	case map[string]any:
		table := state.CreateTable(0, len(typed))
		for key, item := range typed {
			converted, err := toLua(state, item)
			if err != nil {
				return nil, err
			}
			table.RawSetString(key, converted)
		}
		return table, nil
	}
	return nil, fmt.Errorf("cannot convert %T to Lua", value)
}

// TestSandboxIsArgoCDs keeps runHealth as strict as Argo CD: a script that calls
// the string library, which Argo CD does not open, must fail here too, and numbers
// must arrive as numbers, as Argo CD's conversion makes them.
func TestSandboxIsArgoCDs(t *testing.T) {
	t.Parallel()
	obj := map[string]any{"metadata": map[string]any{"generation": int64(3)}}
	for _, tc := range []struct {
		name    string
		script  string
		want    health
		wantErr bool
	}{
		{name: "string library", script: `return {status = string.format("%s", "Healthy")}`, wantErr: true},
		{name: "string method", script: `local s = "Healthy"; return {status = s:upper()}`, wantErr: true},
		{name: "math library", script: `return {status = "Healthy", message = tostring(math.max(1, 2))}`, wantErr: true},
		{name: "invalid status", script: `return {status = "Fine"}`, wantErr: true},
		{name: "no table", script: `return "Healthy"`, wantErr: true},
		{
			name:   "numbers and table library",
			script: `local parts = {"generation", obj.metadata.generation + 1}; return {status = "Healthy", message = table.concat(parts, " ")}`,
			want:   health{Status: "Healthy", Message: "generation 4"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := runHealth(tc.script, obj)
			if (err != nil) != tc.wantErr {
				t.Fatalf("runHealth error = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("runHealth = %+v, want %+v", got, tc.want)
			}
		})
	}
}
