package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/turnpike-gateway/turnpike/controllers"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

var (
	// k8s is a direct (uncached) client for the tests' own reads and writes.
	k8s client.Client
	// publisher records every snapshot the pipeline publishes.
	publisher = &recordingPublisher{}
)

// recordingPublisher stands in for the data plane at its Publish interface. Tests
// may make a socket fail to bind, to check that status tells the truth about it.
type recordingPublisher struct {
	mu        sync.Mutex
	latest    *snapshot.Snapshot
	failBinds map[string]error
}

func (p *recordingPublisher) Publish(s *snapshot.Snapshot) snapshot.PublishResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latest = s
	result := snapshot.PublishResult{}
	for _, l := range s.Listeners {
		if err, ok := p.failBinds[l.Key()]; ok {
			if result.BindErrors == nil {
				result.BindErrors = map[string]error{}
			}
			result.BindErrors[l.Key()] = err
		}
	}
	return result
}

func (p *recordingPublisher) Latest() *snapshot.Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latest
}

func (p *recordingPublisher) AllowBind(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.failBinds, key)
}

func (p *recordingPublisher) FailBind(key string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failBinds == nil {
		p.failBinds = map[string]error{}
	}
	p.failBinds[key] = err
}

func TestMain(m *testing.M) {
	os.Exit(runWithEnv(m))
}

func runWithEnv(m *testing.M) int {
	assets, err := harness.KubeAssetsDir(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration tests:", err)
		return 1
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths: []string{
			filepath.Join("..", "..", "config", "crd", "gateway-api"),
			filepath.Join("..", "..", "config", "crd", "bases"),
		},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting kube-apiserver and etcd:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done, err := startPipeline(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the pipeline:", err)
		return 1
	}
	code := m.Run()
	cancel()
	<-done
	return code
}

// startPipeline runs the same wiring as `turnpike serve` (controllers.Setup) in a
// manager, without leader election so that this one manager writes status.
func startPipeline(ctx context.Context, cfg *rest.Config) (<-chan struct{}, error) {
	scheme := controllers.NewScheme()
	var err error
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return nil, err
	}
	log := logr.Discard()
	if os.Getenv("TURNPIKE_TEST_LOG") != "" {
		log = testr.NewWithOptions(&testing.T{}, testr.Options{Verbosity: 1})
	}
	ctrl.SetLogger(log)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, err
	}
	_, err = controllers.Setup(mgr, controllers.Options{
		Publisher: publisher,
		Binder:    compiler.ListenerPortBinder{PublishAddresses: []string{"192.0.2.10"}},
		Log:       log,
	})
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager stopped:", err)
		}
	}()
	return done, nil
}

// eventually polls check until it returns nil or the hang guard expires. The guard
// is generous: it only stops a broken test from hanging, it measures nothing.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: still not true after 60s: %v", what, err)
}

// conditionIs checks a condition's status, reason and observedGeneration.
func conditionIs(conds []metav1.Condition, condType string, status metav1.ConditionStatus, reason string, generation int64) error {
	for _, c := range conds {
		if c.Type != condType {
			continue
		}
		if c.Status != status || c.Reason != reason || c.ObservedGeneration != generation {
			return fmt.Errorf("condition %s is %s/%s at generation %d (%q), want %s/%s at %d",
				condType, c.Status, c.Reason, c.ObservedGeneration, c.Message, status, reason, generation)
		}
		if c.LastTransitionTime.IsZero() {
			return fmt.Errorf("condition %s has no lastTransitionTime", condType)
		}
		return nil
	}
	return fmt.Errorf("no %s condition in %v", condType, conds)
}
