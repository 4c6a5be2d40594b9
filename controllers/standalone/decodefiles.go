package standalone

import (
	"crypto/sha256"
	"runtime"
	"sync"
)

// fileResult is what one file contributes to a load.
type fileResult struct {
	file string
	// unparseable files keep every object they last contributed.
	unparseable bool
	// incomplete files hold a document that cannot be identified; they keep the
	// objects they last contributed that they no longer define recognisably.
	incomplete bool
	docs       []*decodedDocument
	errs       []error
	// reusable are the documents of each text of the file that decoded without
	// any problem, by text hash, for the next load to reuse (see knownTexts).
	reusable knownTexts
}

// knownTexts are the documents that document texts decoded into without any
// problem, by text hash. Decoding depends on nothing but the text, the place
// aside, so a text found again (in a changed file, or moved to another one) gives
// the same documents at their new place without being parsed and validated
// again: editing one route of a file of 10,000 decodes one route, not 10,000.
// Texts with problems are decoded again, so that their errors name their place.
type knownTexts map[[sha256.Size]byte][]*decodedDocument

// decodeFiles parses and decodes files and returns their results in the same
// order. A result depends on nothing but the file's path and content (known
// only saves work), so it can be reused while the file is unchanged.
//
// Validating a document (CRD schema and CEL rules above all) costs far more than
// parsing it, and documents do not depend on each other, so the documents of all
// the files are decoded on one goroutine per CPU while this goroutine parses. The
// queue between them is short, so that a document's parse tree is garbage soon
// after it is parsed. Results are put back in file order: they are the same as
// those of a one-by-one decode.
func decodeFiles(files []sourceFile, known knownTexts) []*fileResult {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan decodeJob, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for job := range jobs {
				job.outcome.decoded, job.outcome.err = decodeDocument(job.doc)
			}
		})
	}
	decodes := make([]*fileDecode, len(files))
	for i, f := range files {
		decodes[i] = &fileDecode{file: f.path, known: known, jobs: jobs}
		if f.readErr == nil {
			decodes[i].err = parseFile(f.path, f.data, decodes[i])
		}
	}
	close(jobs)
	wg.Wait() // every outcome is written

	results := make([]*fileResult, len(files))
	for i, f := range files {
		results[i] = decodes[i].result(f)
	}
	return results
}

// decodeJob is one document to decode and where its outcome goes.
type decodeJob struct {
	doc     rawDocument
	outcome *docOutcome
}

// docOutcome is what decodeDocument returned for one document.
type docOutcome struct {
	text    docText
	decoded *decodedDocument
	err     error
}

// clean tells whether the document decoded without any problem.
func (o *docOutcome) clean() bool {
	return o.err == nil && o.decoded.obj != nil && len(o.decoded.errs) == 0
}

// fileDecode is one file being decoded: it receives the file's documents as they
// are parsed and queues them for decoding, in file order.
type fileDecode struct {
	file  string
	known knownTexts
	jobs  chan<- decodeJob
	// outcomes are the file's documents in file order, filled in by the workers.
	outcomes         []*docOutcome
	unidentifiedErrs []error
	// unidentifiedTexts are the indexes of the texts with an unidentified
	// document: those texts are not reusable.
	unidentifiedTexts map[int]bool
	// err is the syntax error that makes the file unparseable.
	err error
}

func (d *fileDecode) reuse(text docText, document int) bool {
	docs := d.known[text.hash]
	if docs == nil {
		return false
	}
	for _, doc := range docs {
		d.outcomes = append(d.outcomes, &docOutcome{text: text, decoded: doc.movedTo(d.file, document, text)})
	}
	return true
}

func (d *fileDecode) use(doc rawDocument) {
	outcome := &docOutcome{text: doc.text}
	d.outcomes = append(d.outcomes, outcome)
	d.jobs <- decodeJob{doc: doc, outcome: outcome}
}

func (d *fileDecode) unidentified(text docText, err error) {
	d.unidentifiedErrs = append(d.unidentifiedErrs, err)
	if d.unidentifiedTexts == nil {
		d.unidentifiedTexts = map[int]bool{}
	}
	d.unidentifiedTexts[text.index] = true
}

// result assembles the result of the file once its documents are decoded.
func (d *fileDecode) result(f sourceFile) *fileResult {
	result := &fileResult{file: f.path}
	switch {
	case f.readErr != nil:
		result.unparseable = true
		result.errs = []error{&Error{File: f.path, Message: "cannot read the file", Err: f.readErr}}
		return result
	case d.err != nil:
		// A syntax error anywhere: no document is used, whatever was decoded.
		result.unparseable = true
		result.errs = []error{d.err}
		return result
	}
	result.incomplete = len(d.unidentifiedErrs) > 0
	result.errs = d.unidentifiedErrs
	for _, outcome := range d.outcomes {
		if outcome.err != nil {
			result.incomplete = true
			result.errs = append(result.errs, outcome.err)
			continue
		}
		result.docs = append(result.docs, outcome.decoded)
		result.errs = append(result.errs, outcome.decoded.errs...)
	}
	result.reusable = d.reusableTexts()
	return result
}

// reusableTexts collects the documents of every text that decoded cleanly. The
// outcomes of one text are next to each other.
func (d *fileDecode) reusableTexts() knownTexts {
	reusable := knownTexts{}
	for start := 0; start < len(d.outcomes); {
		text := d.outcomes[start].text
		end, clean := start, !d.unidentifiedTexts[text.index]
		for ; end < len(d.outcomes) && d.outcomes[end].text.index == text.index; end++ {
			clean = clean && d.outcomes[end].clean()
		}
		if clean && reusable[text.hash] == nil {
			docs := make([]*decodedDocument, 0, end-start)
			for _, outcome := range d.outcomes[start:end] {
				docs = append(docs, outcome.decoded)
			}
			reusable[text.hash] = docs
		}
		start = end
	}
	return reusable
}
