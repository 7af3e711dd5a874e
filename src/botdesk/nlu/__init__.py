"""Intent classification for short fi/sv/nb/en shopper messages, with out-of-scope detection."""

from botdesk.nlu.backends import (
    BACKENDS,
    Backend,
    BackendFactory,
    BackendUnavailable,
    FusedBackend,
    LinearBackend,
    default_backend_factory,
    linear_backend,
)
from botdesk.nlu.featuriser import DEFAULT_VIEWS, FeatureView, Featuriser, Normaliser, fold_accents
from botdesk.nlu.intent_model import OUT_OF_SCOPE, Example, IntentModel, Prediction
from botdesk.nlu.storage import FORMAT_VERSION, ModelFormatError

__all__ = [
    "BACKENDS",
    "DEFAULT_VIEWS",
    "FORMAT_VERSION",
    "OUT_OF_SCOPE",
    "Backend",
    "BackendFactory",
    "BackendUnavailable",
    "Example",
    "FeatureView",
    "Featuriser",
    "FusedBackend",
    "IntentModel",
    "LinearBackend",
    "ModelFormatError",
    "Normaliser",
    "Prediction",
    "default_backend_factory",
    "fold_accents",
    "linear_backend",
]
