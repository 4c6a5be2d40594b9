package standalone

import (
	"context"
	"fmt"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// decodeCustomResource runs a custom resource (a Gateway API or Turnpike object)
// through the steps the API server
// takes on create, in the same order and with the same code:
//
//  1. decode: unknown fields are found by pruning against the schema (strict field
//     validation), nulls without defaults are dropped, metadata is coerced;
//  2. default from the schema;
//  3. drop status (it belongs to the status subresource);
//  4. validate: OpenAPI schema, embedded metadata, list types, then the CEL rules
//     unless an earlier error would make them meaningless.
//
// content is consumed. The typed object is returned even when there are errors, so
// that callers can tell a rejected object from an unreadable one.
func decodeCustomResource(place *docPlace, gvk schema.GroupVersionKind, content map[string]any) (object, []error) {
	schemas, err := crdSchemas()
	if err != nil {
		return nil, []error{place.errorf("cannot load the embedded CRD schemas: %v", err)}
	}
	version := schemas[gvk]
	s := version.structural

	var errs []error
	objectMeta, foundMeta, unknownPaths, err := schemaobjectmeta.GetObjectMetaWithOptions(content,
		schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return nil, append(errs, place.fieldError("metadata", fmt.Sprintf("Invalid value: %v", err)))
	}
	unknownPaths = append(unknownPaths, structuralpruning.PruneWithOptions(content, s, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(content, s)
	coerceErr, coercedPaths := schemaobjectmeta.CoerceWithOptions(nil, content, s, false,
		schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if coerceErr != nil {
		return nil, append(errs, place.fieldErrors(field.ErrorList{coerceErr})...)
	}
	unknownPaths = append(unknownPaths, coercedPaths...)
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(content, objectMeta); err != nil {
			return nil, append(errs, place.fieldError("metadata", fmt.Sprintf("Invalid value: %v", err)))
		}
	}
	for _, path := range unknownPaths {
		errs = append(errs, place.fieldError(path, "unknown field"))
	}

	structuraldefaulting.Default(content, s)
	delete(content, "status")

	var validationErrs field.ErrorList
	validationErrs = append(validationErrs, apiservervalidation.ValidateCustomResource(nil, content, version.schemaValidator)...)
	validationErrs = append(validationErrs, schemaobjectmeta.Validate(context.Background(), nil, content, s, false)...)
	validationErrs = append(validationErrs, structurallisttype.ValidateListSetsAndMaps(nil, s, content)...)
	celSkipped := false
	if version.celValidator != nil {
		if hasBlockingError(validationErrs) {
			celSkipped = true
		} else {
			celErrs, _ := version.celValidator.Validate(context.Background(), nil, s, content, nil, celconfig.RuntimeCELCostBudget)
			validationErrs = append(validationErrs, celErrs...)
		}
	}
	errs = append(errs, place.fieldErrors(validationErrs)...)
	if celSkipped {
		errs = append(errs, place.errorf("some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
	}

	obj, decodeErrs := decodeTyped(place, gvk, content)
	if obj == nil && len(errs) > 0 {
		return nil, errs // the schema errors already say why the Go type cannot hold it
	}
	return obj, append(errs, decodeErrs...)
}

// hasBlockingError tells whether the API server would skip the CEL rules because
// the object failed validation in a way the rules cannot cope with
// (apiextensions-apiserver pkg/registry/customresource/strategy.go).
func hasBlockingError(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong,
			field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
