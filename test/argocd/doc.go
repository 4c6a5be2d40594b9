// Package argocd tests the Argo CD health checks in config/argocd: the Lua scripts
// Argo CD runs on Gateways, HTTPRoutes and Turnpike's policies to turn their status
// into Healthy, Progressing or Degraded.
//
// It sits at the far end of the status path: the real compiler compiles the objects
// in testdata/cluster.in.yaml, compiler.ApplyPublishResult takes back what the data
// plane could not bind, the status writer's own merge functions
// (controllers.ApplyReport) turn the report into the status Turnpike would store,
// and the scripts run on those objects in a gopher-lua sandbox shaped like Argo
// CD's (base and table libraries only). The objects the scripts saw are kept in
// testdata/samples so that reviewers can read them. The same package generates
// config/argocd/argocd-cm.yaml and config/argocd/argo-cd-values.yaml from the
// scripts (-update) and fails when they are stale.
package argocd
