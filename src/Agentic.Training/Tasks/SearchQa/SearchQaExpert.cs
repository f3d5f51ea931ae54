using Agentic.Core.ChatCompletion;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.SearchQa;

/// <summary>
/// A scripted expert for the <c>searchqa</c> suite, as an <see cref="IChatClient"/>, writing the AutoRefine format:
/// one <c>&lt;search&gt;</c> per hop, a <c>&lt;refine&gt;</c> with the evidence sentence after each search, then the
/// <c>&lt;answer&gt;</c>. It reads the documents the environment returned, so it solves every question whose evidence
/// the retriever surfaces.
/// </summary>
public sealed partial class SearchQaExpert : ScriptedChatClient
{
    private sealed record Hop(string Query, Regex Evidence);

    /// <inheritdoc />
    protected override ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        var question = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var documents = string.Join("\n", messages.Where(m => m.Role == ChatRole.Tool).Select(m => m.Text));
        return new ChatMessage(ChatRole.Assistant, Next(question, documents));
    }

    private static string Next(string question, string documents)
    {
        if (!TryPlan(question, out var subject, out var relations)) return "<answer>unknown</answer>";
        string entity = subject;
        string? evidence = null;
        foreach (var relation in relations)
        {
            var hop = relation(entity);
            var match = hop.Evidence.Match(documents);
            if (!match.Success)
            {
                var refine = evidence is null ? "" : $"<refine>{evidence}</refine>\n";
                return $"{refine}<search>{hop.Query}</search>";
            }
            evidence = match.Value;
            entity = match.Groups["next"].Value;
        }
        return $"<refine>{evidence}</refine>\n<answer>{entity}</answer>";
    }

    private static bool TryPlan(string question, out string subject, out Func<string, Hop>[] relations)
    {
        Match m;
        if ((m = FounderCountry().Match(question)).Success) { subject = m.Groups["s"].Value; relations = [Founder, Born, Country]; return true; }
        if ((m = FounderCity().Match(question)).Success) { subject = m.Groups["s"].Value; relations = [Founder, Born]; return true; }
        if ((m = BirthCountry().Match(question)).Success) { subject = m.Groups["s"].Value; relations = [Born, Country]; return true; }
        if ((m = BirthCity().Match(question)).Success) { subject = m.Groups["s"].Value; relations = [Born]; return true; }
        if ((m = Headquarters().Match(question)).Success) { subject = m.Groups["s"].Value; relations = [Hq]; return true; }
        subject = "";
        relations = [];
        return false;
    }

    private static Hop Born(string person) => new($"{person} born", new Regex($@"{Regex.Escape(person)} was born in (?<next>\w+)\."));
    private static Hop Country(string city) => new($"{city} city country", new Regex($@"{Regex.Escape(city)} is a city in (?<next>\w+)\."));
    private static Hop Founder(string company) => new($"{company} founded", new Regex($@"{Regex.Escape(company)} was founded by (?<next>\w+ \w+)\."));
    private static Hop Hq(string company) => new($"{company} headquarters", new Regex($@"{Regex.Escape(company)} has its headquarters in (?<next>\w+)\."));

    [GeneratedRegex(@"In which country was the founder of (?<s>.+) born\?")]
    private static partial Regex FounderCountry();

    [GeneratedRegex(@"Where was the founder of (?<s>.+) born\?")]
    private static partial Regex FounderCity();

    [GeneratedRegex(@"In which country was (?<s>.+) born\?")]
    private static partial Regex BirthCountry();

    [GeneratedRegex(@"Where was (?<s>.+) born\?")]
    private static partial Regex BirthCity();

    [GeneratedRegex(@"Where is (?<s>.+) headquartered\?")]
    private static partial Regex Headquarters();
}
