package apitype

// ErrorResponse is the body of every non-2xx response (Pulumi's apitype.ErrorResponse).
type ErrorResponse struct {
	Code             int          `json:"code"`
	Message          string       `json:"message"`
	DocumentationURL string       `json:"documentationUrl,omitempty"`
	Errors           []FieldError `json:"errors,omitempty"`
}

// FieldError details one problem with a request (Pulumi's apitype.RequestError), e.g. the
// attribute "details.permissions[0]" of the resource "role" is invalid.
type FieldError struct {
	Resource      string `json:"resource"`
	Attribute     string `json:"attribute,omitempty"`
	ErrorType     string `json:"errorType"`
	CustomMessage string `json:"customMessage,omitempty"`
}

// FieldError.ErrorType values.
const (
	ErrorTypeNotFound      = "not_found"
	ErrorTypeRequired      = "required"
	ErrorTypeInvalid       = "invalid"
	ErrorTypeAlreadyExists = "already_exists"
	ErrorTypeCustom        = "custom"
)
