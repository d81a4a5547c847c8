// Package seedrec fills a database with many subjects and credit records by
// COPY, for the benchmarks of bench/records and bench/lookup: valid
// identifiers, records of every category, severity and disclosure class over
// ten providers, and either synthetic names (测试N号, unique) or a realistic
// name distribution (persons by the frequency of Chinese surnames and
// given-name characters, so that common names such as 王伟 recur;
// organisations as place + brand + trade + form). A fraction of the records
// can be left with a disclosure period that ended yesterday and not yet
// archived, for the daily sweep to find.
package seedrec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/ident"
)

// Options says what to seed.
type Options struct {
	N          int     // records
	PerSubject int     // records per subject (subjects = N / PerSubject)
	Realistic  bool    // realistic names instead of 测试N号
	Expiring   float64 // fraction of records whose disclosure ended yesterday, still active
	// Progress receives a line per step (nil: none).
	Progress func(string)
}

// ExpiringPrefix starts the decision number of every record seeded to
// expire, so a rerun can make them active again.
const ExpiringPrefix = "BENCH-EXP-"

// SubjectIdent makes a valid identifier for subject i: even subjects are
// persons, odd ones organisations.
func SubjectIdent(i int) (string, ident.Kind) {
	if i%2 == 0 {
		birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i/1000)%20000)
		body := fmt.Sprintf("320602%s%03d", birth.Format("20060102"), i%1000)
		c, _ := ident.IDNumberCheckDigit(body)
		return body + string(c), ident.Person
	}
	body := fmt.Sprintf("91320600%09d", i)
	c, _ := ident.CreditCodeCheckChar(body)
	return body + string(c), ident.Organisation
}

// SyntheticName is subject i's unique synthetic name.
func SyntheticName(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("测试%d号", i)
	}
	return fmt.Sprintf("南通测试%d有限公司", i)
}

// Surnames with their share of the population in per mille (the most
// common hundred cover about 85%; the rest share the remainder).
var surnames = []struct {
	s string
	w int
}{
	{"王", 71}, {"李", 70}, {"张", 67}, {"刘", 54}, {"陈", 45}, {"杨", 31}, {"黄", 22}, {"赵", 20}, {"吴", 20}, {"周", 19},
	{"徐", 15}, {"孙", 15}, {"马", 14}, {"朱", 13}, {"胡", 11}, {"郭", 11}, {"何", 10}, {"高", 10}, {"林", 10}, {"罗", 9},
	{"郑", 9}, {"梁", 8}, {"谢", 7}, {"宋", 7}, {"唐", 6}, {"许", 6}, {"韩", 6}, {"冯", 6}, {"邓", 6}, {"曹", 6},
	{"彭", 5}, {"曾", 5}, {"肖", 5}, {"田", 5}, {"董", 5}, {"袁", 5}, {"潘", 4}, {"于", 4}, {"蒋", 4}, {"蔡", 4},
	{"余", 4}, {"杜", 4}, {"叶", 4}, {"程", 4}, {"苏", 3}, {"魏", 3}, {"吕", 3}, {"丁", 3}, {"任", 3}, {"沈", 3},
	{"姚", 3}, {"卢", 3}, {"姜", 3}, {"崔", 3}, {"钟", 3}, {"谭", 3}, {"陆", 3}, {"汪", 3}, {"范", 2}, {"金", 2},
	{"石", 2}, {"廖", 2}, {"贾", 2}, {"夏", 2}, {"韦", 2}, {"付", 2}, {"方", 2}, {"白", 2}, {"邹", 2}, {"孟", 2},
	{"熊", 2}, {"秦", 2}, {"邱", 2}, {"江", 2}, {"尹", 2}, {"薛", 2}, {"闫", 2}, {"段", 2}, {"雷", 2}, {"侯", 2},
	{"龙", 2}, {"史", 2}, {"陶", 1}, {"黎", 1}, {"贺", 1}, {"顾", 1}, {"毛", 1}, {"郝", 1}, {"龚", 1}, {"邵", 1},
	{"万", 1}, {"钱", 1}, {"严", 1}, {"覃", 1}, {"武", 1}, {"戴", 1}, {"莫", 1}, {"孔", 1}, {"向", 1}, {"汤", 1},
	{"欧阳", 1}, {"司马", 1}, {"诸葛", 1}, {"上官", 1},
}

// givenChars are common given-name characters, most frequent first; they
// are drawn with Zipf-like weights.
var givenChars = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红玉兰飞建国辉鹏斌宇浩凯健俊帆帅旭宁龙林欣博文晨思雨轩子涵梓睿一诺佳怡欣怡梦琪雅婷海燕建华志强春梅丹晶燕玲婷雪慧莉颖琳倩波亮峰鑫磊晓东晓明丽娟国华国强振华德明金凤秀珍淑珍桂芳小红")

var places = []string{"南通", "南通市", "如东", "如皋", "海安", "启东", "海门", "通州", "崇川", "江苏"}
var brands = []rune("恒达华信鑫源宏远盛泰瑞丰金诚永安新世纪德润嘉禾天成中联汇通顺发隆兴博远卓越正大昌盛海纳同创锦绣")
var trades = []string{"建筑工程", "商贸", "科技", "餐饮管理", "物流", "房地产开发", "机械制造", "纺织", "医药", "网络科技", "建材", "电子", "食品", "环保科技", "劳务派遣", "装饰工程"}
var forms = []string{"有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "经营部", "个体工商户"}

// namer draws realistic names.
type namer struct {
	rng      *rand.Rand
	surCum   []int
	givenCum []float64
}

func newNamer(seed uint64) *namer {
	n := &namer{rng: rand.New(rand.NewPCG(seed, 20))}
	t := 0
	for _, s := range surnames {
		t += s.w
		n.surCum = append(n.surCum, t)
	}
	var f float64
	for i := range givenChars {
		f += 1 / float64(i+1)
		n.givenCum = append(n.givenCum, f)
	}
	return n
}

func (n *namer) given() rune {
	x := n.rng.Float64() * n.givenCum[len(n.givenCum)-1]
	lo, hi := 0, len(n.givenCum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if n.givenCum[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return givenChars[lo]
}

func (n *namer) person() string {
	x := n.rng.IntN(n.surCum[len(n.surCum)-1])
	i := 0
	for n.surCum[i] <= x {
		i++
	}
	var b strings.Builder
	b.WriteString(surnames[i].s)
	b.WriteRune(n.given())
	if n.rng.IntN(10) < 7 { // most given names have two characters
		b.WriteRune(n.given())
	}
	return b.String()
}

func (n *namer) organisation() string {
	return places[n.rng.IntN(len(places))] + string(brands[n.rng.IntN(len(brands))]) + string(brands[n.rng.IntN(len(brands))]) +
		trades[n.rng.IntN(len(trades))] + forms[n.rng.IntN(len(forms))]
}

// Seed fills an empty database with o.N records (COPY; the records'
// secondary indexes are dropped for the load and built again after it, as
// the migrations define them). A database that already holds at least o.N
// records is left as it is (0 added).
func Seed(ctx context.Context, pool *pgxpool.Pool, o Options) (int, error) {
	say := func(s string) {
		if o.Progress != nil {
			o.Progress(s)
		}
	}
	var have int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM records`).Scan(&have); err != nil {
		return 0, err
	}
	if have >= o.N {
		return 0, nil
	}
	if have > 0 {
		return 0, fmt.Errorf("the database holds %d records, fewer than %d: use a fresh -dir", have, o.N)
	}
	var provIDs []int64
	for p := 0; p < 10; p++ {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, $2) RETURNING id`,
			fmt.Sprintf("bench-%02d", p), fmt.Sprintf("测试提供单位 %d", p)).Scan(&id); err != nil {
			return 0, err
		}
		provIDs = append(provIDs, id)
	}
	subjects := max(1, o.N/o.PerSubject)
	names := newNamer(1)
	t0 := time.Now()
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"subjects"}, []string{"kind", "ident", "name"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i >= subjects {
					return nil, nil
				}
				code, kind := SubjectIdent(i)
				name := SyntheticName(i)
				if o.Realistic {
					if kind == ident.Person {
						name = names.person()
					} else {
						name = names.organisation()
					}
				}
				row := []any{string(kind), code, name}
				i++
				return row, nil
			}
		}()))
	if err != nil {
		return 0, fmt.Errorf("copy subjects: %w", err)
	}
	say(fmt.Sprintf("%d subjects in %s", subjects, time.Since(t0).Round(time.Second)))
	var firstSubject int64
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM subjects`).Scan(&firstSubject); err != nil {
		return 0, err
	}

	// Drop the records' secondary indexes for the load; build them again
	// from their own definitions afterwards.
	rows, err := pool.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename = 'records'
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
	if err != nil {
		return 0, err
	}
	type index struct{ name, def string }
	idx, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var x index
		return x, r.Scan(&x.name, &x.def)
	})
	if err != nil {
		return 0, err
	}
	for _, x := range idx {
		if _, err := pool.Exec(ctx, `DROP INDEX `+pgx.Identifier{x.name}.Sanitize()); err != nil {
			return 0, err
		}
	}

	cats := []string{"basic", "positive", "negative", "negative", "negative", "other"}
	sevs := []string{"minor", "general", "serious"}
	discl := []string{"public", "public", "government", "authorised"}
	now := time.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	yesterday := today.AddDate(0, 0, -1)
	every := 0
	if o.Expiring > 0 {
		every = int(1 / o.Expiring)
	}
	t0 = time.Now()
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"records"},
		[]string{"subject_id", "provider_id", "category", "severity", "disclosure", "title", "content", "decision_no", "decided_on", "disclosure_end", "period_rule", "profile_id", "status"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i >= o.N {
					return nil, nil
				}
				if i > 0 && i%1_000_000 == 0 {
					say(fmt.Sprintf("%d records copied (%s)", i, time.Since(t0).Round(time.Second)))
				}
				cat := cats[i%len(cats)]
				var sev, end any
				rule, status, no := "", "active", fmt.Sprintf("BENCH-%d", i)
				decided := today.AddDate(0, 0, -(i % 700))
				switch {
				case every > 0 && i%every == every/2:
					// Its disclosure period ended yesterday: today's sweep archives it.
					cat, sev, end, rule, no = "negative", "minor", yesterday, "disclosure.minor", fmt.Sprintf("%s%d", ExpiringPrefix, i)
					decided = yesterday.AddDate(0, -3, 0)
				case cat == "negative":
					s := sevs[(i/7)%3]
					sev = s
					years := map[string]int{"minor": 0, "general": 1, "serious": 3}[s]
					e := decided.AddDate(years, map[bool]int{true: 3, false: 0}[s == "minor"], 0)
					end, rule = e, "disclosure."+s
					if o.Expiring > 0 && !e.After(yesterday) {
						// Earlier days' sweeps archived it already.
						status = "archived"
					}
				}
				row := []any{firstSubject + int64(i%subjects), provIDs[i%len(provIDs)], cat, sev, discl[(i/3)%len(discl)],
					"测试记录 " + strings.Repeat("信", 8), "内容", no, decided, end, rule, "nantong", status}
				i++
				return row, nil
			}
		}()))
	if err != nil {
		return 0, fmt.Errorf("copy records: %w", err)
	}
	say(fmt.Sprintf("%d records in %s; building %d indexes", o.N, time.Since(t0).Round(time.Second), len(idx)))
	t0 = time.Now()
	for _, x := range idx {
		if _, err := pool.Exec(ctx, x.def); err != nil {
			return 0, fmt.Errorf("%s: %w", x.name, err)
		}
	}
	for _, t := range []string{"subjects", "records"} {
		if _, err := pool.Exec(ctx, `VACUUM ANALYZE `+t); err != nil {
			return 0, err
		}
	}
	say(fmt.Sprintf("indexes and statistics in %s", time.Since(t0).Round(time.Second)))
	return o.N, nil
}
