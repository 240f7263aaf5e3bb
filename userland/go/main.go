// gotest: a Go program for Ghost's differential tests (test/diff/dynamic.test.ts).
// It exercises the Go runtime on many threads: goroutines, channels, select,
// time.Sleep, timers and tickers, sync.WaitGroup, sync.Mutex, and os/exec
// (fork/exec of a child with piped stdin/stdout, an environment variable and
// an exit status). Everything it prints is deterministic.
//
//	gotest          the child is /bin/sh -c '...' (works under qemu-user too,
//	                where an exec'd riscv64 binary cannot run without binfmt_misc)
//	gotest -self    the child is this program again (os.Args[0] child), which
//	                prints exactly what the shell child prints
//	gotest child    the child itself: reads a line, prints it, exits 3
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
)

const childScript = `read line; echo "child-ok $line $GOTEST_VAR"; exit 3`

func child() {
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	fmt.Printf("child-ok %s %s\n", strings.TrimRight(line, "\n"), os.Getenv("GOTEST_VAR"))
	os.Exit(3)
}

// A pipeline: a producer, a pool of workers, a collector.
func pipeline() {
	jobs := make(chan int)
	results := make(chan int, 16)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- j * j
			}
		}()
	}
	go func() {
		for i := 1; i <= 1000; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	go func() { wg.Wait(); close(results) }()
	sum, n := 0, 0
	for r := range results {
		sum += r
		n++
	}
	fmt.Printf("pipeline: %d results, sum of squares %d\n", n, sum)
}

// Many goroutines updating shared state under a mutex.
func mutex() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	seen := map[int]int{}
	for g := 0; g < 200; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				mu.Lock()
				counter++
				seen[g%10]++
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	keys := make([]int, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := []string{}
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d:%d", k, seen[k]))
	}
	fmt.Printf("mutex: counter %d, buckets %s\n", counter, strings.Join(parts, " "))
}

// Unbuffered ping-pong between two goroutines.
func pingpong() {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	for i := 0; i < 2000; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	_, ok := <-pong
	fmt.Printf("pingpong: %d, pong closed %v\n", v, !ok)
}

func timers() {
	t0 := time.Now()
	time.Sleep(30 * time.Millisecond)
	slept := time.Since(t0)
	fmt.Printf("sleep: at least 30ms %v\n", slept >= 30*time.Millisecond)

	t1 := time.Now()
	timer := time.NewTimer(20 * time.Millisecond)
	<-timer.C
	fmt.Printf("timer: fired after at least 20ms %v\n", time.Since(t1) >= 20*time.Millisecond)

	stopped := time.NewTimer(time.Hour)
	fmt.Printf("timer: stopped before firing %v\n", stopped.Stop())

	t2 := time.Now()
	ticker := time.NewTicker(10 * time.Millisecond)
	ticks := 0
	for range ticker.C {
		ticks++
		if ticks == 5 {
			break
		}
	}
	ticker.Stop()
	fmt.Printf("ticker: %d ticks, at least 50ms %v\n", ticks, time.Since(t2) >= 50*time.Millisecond)

	// select: a result that arrives before the timeout, then one that does not.
	fast := make(chan string, 1)
	go func() { time.Sleep(5 * time.Millisecond); fast <- "fast" }()
	select {
	case s := <-fast:
		fmt.Printf("select: got %s\n", s)
	case <-time.After(5 * time.Second):
		fmt.Println("select: timed out (wrong)")
	}
	never := make(chan string)
	select {
	case s := <-never:
		fmt.Printf("select: got %s (wrong)\n", s)
	case <-time.After(20 * time.Millisecond):
		fmt.Println("select: timed out")
	}

	// AfterFunc runs on its own goroutine.
	done := make(chan int)
	time.AfterFunc(10*time.Millisecond, func() { done <- 42 })
	fmt.Printf("afterfunc: %d\n", <-done)

	// Sleeping goroutines wake in order of their deadlines.
	var mu sync.Mutex
	var wg sync.WaitGroup
	order := []int{}
	for _, d := range []int{200, 40, 120} {
		wg.Add(1)
		go func(d int) {
			defer wg.Done()
			time.Sleep(time.Duration(d) * time.Millisecond)
			mu.Lock()
			order = append(order, d)
			mu.Unlock()
		}(d)
	}
	wg.Wait()
	fmt.Printf("sleepers: woke in order %v\n", order)
}

func runChild(self bool) {
	var cmd *exec.Cmd
	if self {
		cmd = exec.Command(os.Args[0], "child")
	} else {
		cmd = exec.Command("/bin/sh", "-c", childScript)
	}
	cmd.Env = append(os.Environ(), "GOTEST_VAR=from-parent")
	cmd.Stdin = strings.NewReader("hello\n")
	out, err := cmd.Output()
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		fmt.Printf("exec: error %v\n", err)
		return
	}
	fmt.Printf("exec: %q, exit status %d\n", string(out), code)

	// Several children at once, each from its own goroutine.
	var wg sync.WaitGroup
	outs := make([]string, 4)
	for i := range outs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var c *exec.Cmd
			if self {
				c = exec.Command(os.Args[0], "child")
			} else {
				c = exec.Command("/bin/sh", "-c", childScript)
			}
			c.Env = []string{fmt.Sprintf("GOTEST_VAR=n%d", i)}
			c.Stdin = strings.NewReader(fmt.Sprintf("child%d\n", i))
			o, err := c.Output()
			code := -1
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			outs[i] = fmt.Sprintf("%s/%d", strings.TrimSpace(string(o)), code)
		}(i)
	}
	wg.Wait()
	fmt.Printf("exec: parallel %s\n", strings.Join(outs, ", "))

	missing := exec.Command("/no/such/program")
	err = missing.Run()
	fmt.Printf("exec: missing program fails %v (%v)\n", err != nil, errors.Is(err, os.ErrNotExist))
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		child()
	}
	self := len(os.Args) > 1 && os.Args[1] == "-self"
	fmt.Println("gotest: start")
	pipeline()
	mutex()
	pingpong()
	timers()
	runChild(self)
	fmt.Println("gotest: done")
	os.Exit(7)
}
