package standalone

import (
	"fmt"
	"io/fs"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/turnpike-gateway/turnpike/config/crd"
)

// crdVersion is what the API server builds from one served version of a CRD to
// default and validate its objects.
type crdVersion struct {
	// structural is the schema with invalid defaults pruned, as the server uses it
	// for pruning, defaulting and CEL.
	structural      *structuralschema.Structural
	schemaValidator apiservervalidation.SchemaValidator
	// celValidator holds the compiled x-kubernetes-validations rules.
	celValidator *cel.Validator
}

// crdSchemas builds the schemas of the served CRD kinds (the Gateway API's and
// Turnpike's own) once per process: compiling the CEL rules takes a noticeable
// fraction of a second.
var crdSchemas = sync.OnceValues(func() (map[schema.GroupVersionKind]*crdVersion, error) {
	return loadCRDSchemas(crd.GatewayAPI, crd.Turnpike)
})

// loadCRDSchemas reads every CRD in the file systems and builds the schemas of the
// versions whose kind standalone mode serves. It fails if a served CRD kind has no
// schema.
func loadCRDSchemas(fileSystems ...fs.FS) (map[schema.GroupVersionKind]*crdVersion, error) {
	schemas := make(map[schema.GroupVersionKind]*crdVersion)
	for _, fsys := range fileSystems {
		if err := addCRDSchemas(schemas, fsys); err != nil {
			return nil, err
		}
	}
	for gvk, rules := range servedKinds {
		if rules.fromCRD && schemas[gvk] == nil {
			return nil, fmt.Errorf("no embedded CRD serves %s", gvk)
		}
	}
	return schemas, nil
}

// addCRDSchemas adds the schemas of the served versions of every CRD in fsys.
func addCRDSchemas(schemas map[schema.GroupVersionKind]*crdVersion, fsys fs.FS) error {
	names, err := fs.Glob(fsys, "*/*.yaml")
	if err != nil {
		return fmt.Errorf("listing embedded CRDs: %w", err)
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("reading embedded CRD %s: %w", name, err)
		}
		definition := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, definition); err != nil {
			return fmt.Errorf("decoding embedded CRD %s: %w", name, err)
		}
		for _, version := range definition.Spec.Versions {
			gvk := schema.GroupVersionKind{Group: definition.Spec.Group, Version: version.Name, Kind: definition.Spec.Names.Kind}
			if rules := servedKinds[gvk]; rules == nil || !rules.fromCRD || !version.Served {
				continue
			}
			built, err := newCRDVersion(version.Schema)
			if err != nil {
				return fmt.Errorf("building the schema of %s from CRD %s: %w", gvk, name, err)
			}
			schemas[gvk] = built
		}
	}
	return nil
}

// newCRDVersion mirrors what the API server's CRD handler does for each version
// (apiextensions-apiserver pkg/apiserver/customresource_handler.go).
func newCRDVersion(validation *apiextensionsv1.CustomResourceValidation) (*crdVersion, error) {
	if validation == nil || validation.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("the version has no OpenAPI schema")
	}
	internal := &apiextensions.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(validation, internal, nil); err != nil {
		return nil, fmt.Errorf("converting the schema to the internal version: %w", err)
	}
	structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("the schema is not structural: %w", err)
	}
	structural = structural.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(structural); err != nil {
		return nil, fmt.Errorf("pruning defaults: %w", err)
	}
	schemaValidator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building the schema validator: %w", err)
	}
	return &crdVersion{
		structural:      structural,
		schemaValidator: schemaValidator,
		celValidator:    cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}
