package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/supervision"
)

// The subject's inbox (我的通知): the notices about its cases, newest
// first, unread ones marked, each linked to its case and marked read by a
// plain form post; older ones a page at a time.

func (c *Console) routesInbox(get, post func(string, handler)) {
	get("/my/inbox", c.myInbox)
	post("/my/inbox/:id/read", c.markNoticeRead)
}

// inboxPage is how many notices a page shows.
const inboxPage = 20

type inboxView struct {
	Notices []supervision.Notification
	Unread  bool  // only unread ones shown
	Older   int64 // the cursor of the next page (0: none)
}

func (c *Console) myInbox(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "listInbox", auth.Subject); err != nil {
		return err
	}
	p.Nav = "/my/inbox"
	f := casework.InboxFilter{Unread: ctx.QueryParam("unread") == "1", Limit: inboxPage}
	if b := ctx.QueryParam("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return errNotFound
		}
		f.Before = n
	}
	list, err := c.App.Casework.Inbox(ctx.Request().Context(), actor(p), f)
	if err != nil {
		return err
	}
	v := inboxView{Notices: list, Unread: f.Unread}
	if len(list) == inboxPage {
		v.Older = list[len(list)-1].ID
	}
	if ctx.QueryParam("done") == "read" {
		p.Notice = p.L.T("inbox.done.read")
	}
	return c.render(ctx, p, http.StatusOK, "my-inbox", v)
}

// markNoticeRead marks one notice read and goes back to the inbox (or to
// the notice's case when the reader asked to open it).
func (c *Console) markNoticeRead(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "markNotificationRead", auth.Subject); err != nil {
		return err
	}
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	n, err := c.App.Casework.MarkRead(ctx.Request().Context(), actor(p), id)
	if err != nil {
		return err
	}
	if ctx.FormValue("open") == "1" && caseKind(n.CaseNo) != "" {
		return ctx.Redirect(http.StatusSeeOther, "/my/cases/"+n.CaseNo)
	}
	return ctx.Redirect(http.StatusSeeOther, "/my/inbox?done=read")
}
