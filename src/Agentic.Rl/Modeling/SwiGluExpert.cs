using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Agentic.Rl.Modeling;

/// <summary>A SwiGLU feed-forward expert: <c>down(silu(gate(x)) * up(x))</c>.</summary>
public sealed class SwiGluExpert : nn.Module<Tensor, Tensor>
{
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;

    /// <summary>Creates an expert of width <paramref name="hidden"/> and inner width <paramref name="intermediate"/>.</summary>
    public SwiGluExpert(int hidden, int intermediate) : base(nameof(SwiGluExpert))
    {
        gate_proj = nn.Linear(hidden, intermediate, hasBias: false);
        up_proj = nn.Linear(hidden, intermediate, hasBias: false);
        down_proj = nn.Linear(intermediate, hidden, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) =>
        down_proj.forward(nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x));
}
