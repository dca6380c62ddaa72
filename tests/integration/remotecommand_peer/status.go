// The error stream's payload as client-go decodes it (metav1.Status from v4, text before).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

type statusCause struct {
	Type    string `json:"reason"`
	Message string `json:"message"`
}

type status struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Details *struct {
		Causes []statusCause `json:"causes"`
	} `json:"details"`
}

// exitError is a remote exit code (client-go's CodeExitError).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("command terminated with exit code %d", e.code) }

// decodeStatus turns error-stream bytes into nil, exitError or a remote error, with the rules
// of client-go's errorDecoderV4 (v4+) and the v1-v3 text decoder.
func decodeStatus(version int, payload []byte) error {
	if len(payload) == 0 {
		return nil
	}
	if version < 4 {
		return fmt.Errorf("error executing remote command: %s", payload)
	}
	var st status
	if err := json.Unmarshal(payload, &st); err != nil {
		return fmt.Errorf("error stream protocol error: %v in %q", err, payload)
	}
	switch st.Status {
	case "Success":
		return nil
	case "Failure":
		if st.Reason != "NonZeroExitCode" {
			return errors.New(st.Message)
		}
		if st.Details == nil {
			return errors.New("error stream protocol error: details must be set")
		}
		for _, cause := range st.Details.Causes {
			if cause.Type != "ExitCode" {
				continue
			}
			code, err := strconv.ParseUint(cause.Message, 10, 8)
			if err != nil {
				return fmt.Errorf("error stream protocol error: invalid exit code value %q", cause.Message)
			}
			return exitError{int(code)}
		}
		return fmt.Errorf("error stream protocol error: no ExitCode cause given")
	}
	return fmt.Errorf("error stream protocol error: unknown error")
}
