public enum LGModelsPlaceholder {}
