package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of Turnpike's own kinds.
var GroupVersion = schema.GroupVersion{Group: "turnpike.dev", Version: "v1alpha1"}

// objectTypes lists the kinds of this group; each <kind>_types.go adds its own in init.
// The registration uses apimachinery directly rather than controller-runtime's
// builder so that the API package depends on nothing but apimachinery (STYLE.md §2).
var objectTypes []runtime.Object

var (
	// SchemeBuilder registers the kinds of this group with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the kinds of this group to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, objectTypes...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
