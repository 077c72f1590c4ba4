public enum LGModelIOPlaceholder {}
