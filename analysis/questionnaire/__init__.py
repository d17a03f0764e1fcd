"""The questionnaire as code: the specification (items, codes, texts per language, scales,
indicators), the LimeSurvey ``.lss`` written from it and read back, and the codebook."""
