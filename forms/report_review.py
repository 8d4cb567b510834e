"""审核: 督审处 approves a milestone report (with a quality rating) or returns it with comments."""
from wtforms import SelectChoice, SelectField
from wtforms.validators import Optional

from app.models import QualityRating, StepKey
from forms.common import ReviewDecisionForm

QUALITY_RATINGS = [SelectChoice("", "(不评价)")] + [SelectChoice(r.value, r.label) for r in QualityRating]


class ReportReviewForm(ReviewDecisionForm):
    """审核节点报送."""

    form_key = StepKey.REPORT_REVIEW

    quality = SelectField("完成质量评价", choices=QUALITY_RATINGS, validators=[Optional()])
