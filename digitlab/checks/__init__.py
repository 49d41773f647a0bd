"""Feedback for coursework: check a student's function and say, in plain words, what is wrong.

Each ``check_*`` function calls the student's code on small problems drawn from a seed, compares it with
digitlab's own implementation (the references, in ``kernels``, ``stats`` and ``loop``) and either returns a
one-line "passes" message or raises ``CheckFailed`` (an ``AssertionError``, so a failed check fails an
nbgrader test cell) whose message names the mistake students really make. A part not yet done (``raise
NotImplementedError``) is reported as such; an answer that calls digitlab's own implementation of the part
scores nothing. The visible checks in an assignment use the defaults; hidden tests call the same checks with
other seeds and shapes. One module per assignment (``gradients`` 01, ``logistic`` 02, ``regularization`` 03,
``softmax`` 04), ``feedback``, the machinery they share, and ``grading``: what autograding runs and within
what limits.

``working(student, check, reference)`` lets a later part go on with digitlab's reference while an earlier part
is still failing; the checks do the same by themselves (``alone``), so each part is graded on its own.
Introduced with the coursework (``coursework/README.md``).
"""

from ..kernels import soft_threshold
from ..loop import (
    annealed_rate,
    choose_lambda,
    descent_step,
    early_stopping,
    fit_l1,
    minibatches,
    most_confused,
    proximal_step,
    train_softmax,
)
from ..stats import confusion_matrix
from .feedback import CheckFailed, alone, working
from .gradients import (
    check_logistic_loss,
    check_numeric_gradient,
    check_penalty,
    check_softmax,
    check_softmax_jacobian,
    check_softmax_loss,
)
from .logistic import (
    check_accuracy,
    check_descent_step,
    check_gradient_descent,
    check_minibatches,
    check_pair_training,
    check_safe_learning_rate,
)
from .regularization import (
    check_l1_digits,
    check_l1_fit,
    check_lambda_choice,
    check_proximal_step,
    check_regularised_loss,
    check_soft_threshold,
)
from .softmax import (
    check_annealed_rate,
    check_confusion_matrix,
    check_most_confused,
    check_softmax_loop,
    check_ten_digit_training,
)

__all__ = [
    "CheckFailed",
    "alone",
    "annealed_rate",
    "check_accuracy",
    "check_annealed_rate",
    "check_confusion_matrix",
    "check_descent_step",
    "check_gradient_descent",
    "check_l1_digits",
    "check_l1_fit",
    "check_lambda_choice",
    "check_logistic_loss",
    "check_minibatches",
    "check_most_confused",
    "check_numeric_gradient",
    "check_pair_training",
    "check_penalty",
    "check_proximal_step",
    "check_regularised_loss",
    "check_safe_learning_rate",
    "check_soft_threshold",
    "check_softmax",
    "check_softmax_jacobian",
    "check_softmax_loop",
    "check_softmax_loss",
    "check_ten_digit_training",
    "choose_lambda",
    "confusion_matrix",
    "descent_step",
    "early_stopping",
    "fit_l1",
    "minibatches",
    "most_confused",
    "proximal_step",
    "soft_threshold",
    "train_softmax",
    "working",
]
