package scripts

import "strings"

// docWords are the header lines that document an endpoint, as the
// platform's endpoint files carry them for its generated API
// documentation. They are kept and shown, never enforced, and may repeat.
var docWords = []string{"TAGS", "SUMMARY", "DESCRIPTION"}

// EndpointDoc is what an endpoint's documentation lines say.
type EndpointDoc struct {
	// Tags are the words of its --#TAGS lines, in order.
	Tags []string `json:"tags,omitempty"`
	// Summary and Description are the text of those lines; repeated
	// lines are joined by a space and a line break.
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
}

// DocOf reads the documentation lines of an endpoint's script: the
// --#TAGS, --#SUMMARY and --#DESCRIPTION lines among those before its
// first line of code.
func DocOf(script string) EndpointDoc {
	var d EndpointDoc
	for _, h := range headerLines(script) {
		switch h.word {
		case "TAGS":
			d.Tags = append(d.Tags, strings.Fields(h.args)...)
		case "SUMMARY":
			d.Summary = joinDoc(d.Summary, h.args, " ")
		case "DESCRIPTION":
			d.Description = joinDoc(d.Description, h.args, "\n")
		}
	}
	return d
}

func joinDoc(have, more, sep string) string {
	if have == "" || more == "" {
		return have + more
	}
	return have + sep + more
}

func isDocWord(w string) bool {
	for _, k := range docWords {
		if k == w {
			return true
		}
	}
	return false
}
