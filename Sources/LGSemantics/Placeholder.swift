enum LGSemanticsPlaceholder {}
