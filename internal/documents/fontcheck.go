package documents

// CheckFonts loads the CJK and the Latin font exactly as rendering a PDF
// does: nil when letters can be made, else the *FontError (errors.Is
// ErrFontMissing) saying what to install or which variable to set. The
// worker checks it before it starts and on /readyz.
func CheckFonts() error {
	for _, f := range []FontSpec{CJKFont, LatinFont} {
		if _, err := f.load(); err != nil {
			return err
		}
	}
	return nil
}
