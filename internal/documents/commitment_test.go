package documents

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creditcase/creditcase/internal/calendar"
)

// A commitment signed on line renders as a one-page PDF carrying every
// point, the signer, the date and how it was signed; the same commitment
// gives the same bytes. COMMITMENT_PDF=path keeps the PDF to look at.
func TestCommitmentRenders(t *testing.T) {
	c := Commitment{Title: "信用承诺书", Addressee: "公共信用信息工作机构",
		Lead:    "承诺人南通恒达建材有限公司（证件号码：91320600MA1X2Y3W5K）就失信信息“虚假宣传行政处罚（南通市市场监督管理局，通市监处罚〔2025〕12号，2025年10月1日）”申请信用修复，现郑重承诺：",
		Points:  []string{"已按照处理决定的要求纠正失信行为、履行法定义务，主动消除不良影响；", "申请信用修复所提交的全部材料真实、准确、完整；", "今后不再发生同类失信行为。"},
		Closing: "本承诺书自签署之日起生效。", Signer: "南通恒达建材有限公司", Date: calendar.NewDate(2026, 11, 30),
		Note: "本承诺书由承诺人于2026年11月30日10:30通过网上办事（账户 subject）在线阅读全文并确认签署，随信用修复申请提交。"}
	r, err := RenderCommitment(c)
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("COMMITMENT_PDF"); p != "" {
		_ = os.WriteFile(filepath.Clean(p), r.PDF, 0o644)
	}
	text, pages := pdfText(t, r.PDF)
	for _, want := range []string{"信用承诺书", "公共信用信息工作机构：", "现郑重承诺", "1．已按照处理决定", "3．今后不再发生同类失信行为。",
		"承诺人：南通恒达建材有限公司", "签署日期：2026年11月30日", "在线阅读全文并确认签署"} {
		if !strings.Contains(text, strings.Join(strings.Fields(want), "")) {
			t.Errorf("commitment PDF lacks %q:\n%s", want, text)
		}
	}
	if pages != 1 {
		t.Errorf("commitment on %d pages", pages)
	}
	again, err := RenderCommitment(c)
	if err != nil || again.SHA256 != r.SHA256 {
		t.Errorf("commitment renders differently the second time: %v", err)
	}
	if _, err := RenderCommitment(Commitment{Title: "信用承诺书"}); err == nil {
		t.Error("an empty commitment rendered")
	}
}
