// The port-forward half of remotecommand_peer: client-go's SPDY port-forward protocol
// (one error + data stream pair per port and request id).
package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/moby/spdystream"
)

// runPortForward opens o.pairs (error, data) stream pairs on one connection concurrently,
// sends the input on each data stream, half-closes it and collects the reply.
func runPortForward(o *options) error {
	conn, protocol, err := upgrade(o.url, o.protocols)
	if err != nil {
		return err
	}
	defer conn.Close()
	if protocol != "portforward.k8s.io" {
		return fmt.Errorf("transport: server chose protocol %q, want portforward.k8s.io", protocol)
	}
	input := []byte{}
	if o.pfInput != "" {
		if input, err = os.ReadFile(o.pfInput); err != nil {
			return fmt.Errorf("read %s: %v", o.pfInput, err)
		}
	}
	replies := make([][]byte, o.pairs)
	errs := make([]error, o.pairs)
	var wg sync.WaitGroup
	// Stream ids must rise in creation order; creation is serialised, the transfers are not.
	var createLock sync.Mutex
	for i := 0; i < o.pairs; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			headers := func(t string) http.Header {
				h := typedHeaders(t)
				h.Set("port", strconv.Itoa(o.port))
				h.Set("requestid", strconv.Itoa(i))
				return h
			}
			createLock.Lock()
			errorStream, err := createStream(conn, headers("error"))
			if err == nil {
				// client-go never writes on the error stream and says so right away.
				errorStream.Close()
			}
			var dataStream *spdystream.Stream
			if err == nil {
				dataStream, err = createStream(conn, headers("data"))
			}
			createLock.Unlock()
			if err != nil {
				errs[i] = err
				return
			}
			errChan := make(chan []byte, 1)
			go func() {
				msg, _ := io.ReadAll(errorStream)
				errChan <- msg
			}()
			if len(input) > 0 {
				if _, err := dataStream.Write(input); err != nil {
					errs[i] = fmt.Errorf("transport: write data stream: %v", err)
					return
				}
			}
			dataStream.Close()
			reply, err := io.ReadAll(dataStream)
			if err != nil {
				errs[i] = fmt.Errorf("transport: read data stream: %v", err)
				return
			}
			replies[i] = reply
			if msg := <-errChan; len(msg) > 0 {
				errs[i] = fmt.Errorf("error forwarding port %d: %s", o.port, msg)
			}
		}(i)
	}
	wg.Wait()
	failed := false
	for i := 0; i < o.pairs; i++ {
		if errs[i] != nil {
			fmt.Fprintf(os.Stderr, "remotecommand_peer: pair %d: %v\n", i, errs[i])
			failed = true
		}
		if o.pfOutput != "" {
			path := fmt.Sprintf("%s.%d", o.pfOutput, i)
			if err := os.WriteFile(path, replies[i], 0o644); err != nil {
				return fmt.Errorf("write %s: %v", path, err)
			}
		} else if i == 0 {
			os.Stdout.Write(replies[i])
		}
	}
	if failed {
		return errors.New("port-forward failed")
	}
	return nil
}
